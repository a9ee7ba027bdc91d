"""Finding people: by name, date of birth, NHS number, person ID or legacy ID, and a team's
caseload; always within the caller's access (records/finder.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import CallerDep, SessionDep
from api.params import Page, paging
from api.schemas import errors
from api.schemas.people import PeopleFound
from records import finder
from records.finder_query import MAX_QUERY

router = APIRouter(tags=["records"], responses=errors(401, 422))


@router.get("/people", response_model=PeopleFound)
def find_people(
    session: SessionDep,
    caller: CallerDep,
    page: Annotated[Page, Depends(paging(20, 200))],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY,
            description="a name (accents, case, short forms and slips forgiven), a date of "
            "birth (17/07/2004, 2004-07-17, 17 July 2004), an NHS number (spaces allowed), a "
            "person ID, or a legacy ID (977606, or with its system: PARIS 977606); a name "
            "and a date together narrow each other",
        ),
    ],
) -> dict[str, Any]:
    """People the caller may see who match, surest first (an identifier before a name);
    nobody outside the caller's access is found or counted."""
    return finder.find_people(session, caller=caller, text=q, limit=page.limit, offset=page.offset)


@router.get("/caseload", response_model=PeopleFound)
def caseload(
    session: SessionDep, caller: CallerDep, page: Annotated[Page, Depends(paging(50, 200))]
) -> dict[str, Any]:
    """The people allocated to the caller's teams, by family name (empty for roles that do
    not work through teams)."""
    return finder.caseload(session, caller=caller, limit=page.limit, offset=page.offset)
