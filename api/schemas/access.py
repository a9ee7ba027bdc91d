"""Answers of the administrators' access routes (records/administer.py, records/restrict.py)."""

from __future__ import annotations

from pydantic import Field

from api.schemas import Answer


class Grant(Answer):
    restriction: str = Field(description="adoption, staff or sensitive")
    reason: str
    granted_by: str
    granted_at: str = Field(description="ISO 8601, UTC")
    expires_at: str | None = Field(
        description="ISO 8601, UTC: the end of its last day; none: until revoked"
    )


class UserSummary(Answer):
    """What a user may do now."""

    username: str
    local: bool = Field(description="a local user (false: known only from OIDC tokens)")
    active: bool
    roles: list[str]
    teams: list[str]
    grants: list[Grant]


class Allocation(Answer):
    """A person's teams after the change."""

    person_id: str
    teams: list[str]


class Reindexed(Answer):
    reindexed: int = Field(description="documents re-indexed with their new access")
