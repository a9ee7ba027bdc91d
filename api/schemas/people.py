"""Answers of the person finder's routes (records/finder.py)."""

from __future__ import annotations

from pydantic import Field

from api.schemas import Answer


class PersonFound(Answer):
    person_id: str = Field(description="the person's ID in the target system")
    name: str
    given_name: str
    family_name: str
    date_of_birth: str | None = Field(description="YYYY-MM-DD, where known")
    nhs_number: str
    target_system: str
    service: str
    legacy_ids: list[str] = Field(description="SYSTEM:ID of each legacy ID the crosswalk holds")
    matched_on: str | None = Field(
        default=None, description="what found them: NHS number, person ID, legacy ID, name, ..."
    )
    score: float | None = Field(
        default=None, description="how surely: an identifier 100, a name about 1 a word"
    )


class PeopleFound(Answer):
    """One page of the people the caller may see; `total` counts only those."""

    total: int
    hits: list[PersonFound]
