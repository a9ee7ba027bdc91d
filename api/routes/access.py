"""Administrators' access routes under /api/admin: the same changes as `escr user`, `escr
allocate`/`unallocate`, `escr grant`/`revoke` and `escr restrict`/`unrestrict`.

Every route needs the administrator role (a refusal is a 403, audited); every change is
audited (records/administer.py, records/restrict.py). Usernames are not checked against local
users where OIDC users need no row: a grant or revocation for them works the same.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import CallerDep, SessionDep, SettingsDep
from api.params import BoundedDate
from api.schemas import errors
from api.schemas.access import Allocation, Reindexed, UserSummary
from catalog import access as rows
from records import administer
from records.access import Caller, require_role
from records.restrict import lift_restriction, mark_restricted

router = APIRouter(
    prefix="/admin",
    tags=["access administration"],
    responses=errors(
        401,
        403,
        404,
        422,
        e401="no valid bearer token",
        e403="the caller is not an administrator (the refusal is audited)",
        e404="no such user, team membership, grant, allocation or mark",
        e422="a malformed body, or a reason under 10 characters: FastAPI's list of refused "
        "fields (`{detail: [...]}`) or escr's own check (`{error: InvalidInput, detail}`)",
    ),
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1_000)]
Restriction = Literal["adoption", "staff", "sensitive"]
UserPath = Annotated[str, Path(min_length=1, max_length=100, description="a username")]


def admin_dep(session: SessionDep, caller: CallerDep) -> Caller:
    require_role(session, caller, {"administrator"}, "access administration")
    return caller


AdminDep = Annotated[Caller, Depends(admin_dep)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamsBody(Strict):
    teams: list[Name] = Field(max_length=100)
    reason: Reason = ""


class ReasonBody(Strict):
    reason: Reason


class GrantBody(Strict):
    username: Name
    restriction: Restriction
    reason: Reason
    expires: BoundedDate | None = Field(
        default=None, description="the last day the grant holds (UTC); none: until revoked"
    )


class RevokeBody(Strict):
    username: Name
    restriction: Restriction
    reason: Reason


class AllocationBody(Strict):
    person_id: Name
    team: Name
    from_team: Name | None = Field(default=None, description="move the person from this team")
    reason: Reason = ""


class DeallocationBody(Strict):
    person_id: Name
    team: Name
    reason: Reason


class RestrictionBody(Strict):
    target_type: Literal["person", "document"]
    target_id: Name
    restriction: Restriction
    reason: Reason


@router.get("/users/{username}", response_model=UserSummary)
def user(username: UserPath, session: SessionDep, caller: AdminDep) -> dict[str, Any]:
    """A user's roles, teams, grants (with expiry) and whether active."""
    return administer.user_summary(session, username)


@router.put("/users/{username}/teams", response_model=UserSummary)
def set_teams(
    username: UserPath, body: TeamsBody, session: SessionDep, caller: AdminDep
) -> dict[str, Any]:
    """Make a local user's teams exactly these."""
    return administer.set_teams(
        session, caller.user_id, username=username, teams=body.teams, reason=body.reason
    )


@router.delete("/users/{username}/teams/{team}", response_model=UserSummary)
def remove_team(
    username: UserPath,
    team: Annotated[str, Path(min_length=1, max_length=100, description="a team's name")],
    session: SessionDep,
    caller: AdminDep,
) -> dict[str, Any]:
    """Take a local user out of one team."""
    return administer.remove_team(session, caller.user_id, username=username, team=team)


@router.post("/users/{username}/deactivate", response_model=UserSummary)
def deactivate(
    username: UserPath, body: ReasonBody, session: SessionDep, caller: AdminDep
) -> dict[str, Any]:
    """Deactivate a user: their web sessions end now, and any OIDC token of theirs is refused."""
    return administer.set_active(
        session, caller.user_id, username=username, active=False, reason=body.reason
    )


@router.post("/users/{username}/reactivate", response_model=UserSummary)
def reactivate(
    username: UserPath, body: ReasonBody, session: SessionDep, caller: AdminDep
) -> dict[str, Any]:
    """Reactivate a deactivated user: their logins and tokens work again."""
    return administer.set_active(
        session, caller.user_id, username=username, active=True, reason=body.reason
    )


@router.post("/grants", response_model=UserSummary)
def grant(body: GrantBody, session: SessionDep, caller: AdminDep) -> dict[str, Any]:
    """Grant a restricted class, optionally until a day; granting again replaces the expiry."""
    return administer.grant(
        session,
        caller.user_id,
        username=body.username,
        restriction=body.restriction,
        reason=body.reason,
        expires=body.expires,
    )


@router.post("/grants/revoke", response_model=UserSummary)
def revoke(body: RevokeBody, session: SessionDep, caller: AdminDep) -> dict[str, Any]:
    """Take a grant away: the user's next request no longer has it."""
    return administer.revoke(
        session,
        caller.user_id,
        username=body.username,
        restriction=body.restriction,
        reason=body.reason,
    )


@router.post("/allocations", response_model=Allocation)
def allocate(body: AllocationBody, session: SessionDep, caller: AdminDep) -> dict[str, Any]:
    """Allocate a person to a team, or move them to it `from_team` (with a reason)."""
    if body.from_team is not None:
        return administer.move(
            session,
            caller.user_id,
            person_id=body.person_id,
            from_team=body.from_team,
            to_team=body.team,
            reason=body.reason,
        )
    administer.allocate(session, caller.user_id, person_id=body.person_id, team=body.team)
    return {"person_id": body.person_id, "teams": rows.teams_of_person(session, body.person_id)}


@router.post("/allocations/remove", response_model=Allocation)
def deallocate(body: DeallocationBody, session: SessionDep, caller: AdminDep) -> dict[str, Any]:
    """End a person's allocation to a team."""
    return administer.deallocate(
        session, caller.user_id, person_id=body.person_id, team=body.team, reason=body.reason
    )


@router.post("/restrictions", response_model=Reindexed)
def restrict(
    body: RestrictionBody, session: SessionDep, settings: SettingsDep, caller: AdminDep
) -> dict[str, Any]:
    """Mark a person or document as a restricted class; re-indexes its documents at once."""
    count = mark_restricted(
        session,
        settings,
        target_type=body.target_type,
        target_id=body.target_id,
        restriction=body.restriction,
        reason=body.reason,
        actor=caller.user_id,
    )
    return {"reindexed": count}


@router.post("/restrictions/lift", response_model=Reindexed)
def unrestrict(
    body: RestrictionBody, session: SessionDep, settings: SettingsDep, caller: AdminDep
) -> dict[str, Any]:
    """Lift a mark (with a reason); re-indexes its documents once the catalog has committed."""
    count = lift_restriction(
        session,
        settings,
        target_type=body.target_type,
        target_id=body.target_id,
        restriction=body.restriction,
        reason=body.reason,
        actor=caller.user_id,
    )
    return {"reindexed": count}
