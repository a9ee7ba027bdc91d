"""Finding a person on the web: the "Find a person" page (and a team's caseload on it), and
the picker the exception queue's link form uses. Everything reads through records/finder.py,
so a page finds only the people its caller may see."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import SessionDep, WebLoginDep
from api.params import MAX_RESULT_WINDOW
from api.web.render import page
from records import finder
from records.access import QUEUE_ROLES, require_role
from records.finder_query import MAX_QUERY

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
LAST_PAGE = MAX_RESULT_WINDOW // PAGE_SIZE
FinderText = Annotated[str, Query(max_length=MAX_QUERY)]


@router.get("/people")
def find_person(
    request: Request,
    session: SessionDep,
    login: WebLoginDep,
    q: FinderText = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=LAST_PAGE)] = 1,
) -> Response:
    """Find a person; with no search, the caller's teams' caseload."""
    offset = (page_no - 1) * PAGE_SIZE
    text = q.strip()
    if text:
        found = finder.find_people(
            session, caller=login.caller, text=text, limit=PAGE_SIZE, offset=offset
        )
    else:
        found = finder.caseload(session, caller=login.caller, limit=PAGE_SIZE, offset=offset)
    pages = min(LAST_PAGE, (found["total"] - 1) // PAGE_SIZE + 1) if found["total"] else 0

    def link(page_to: int) -> str:
        params = {k: v for k, v in {"q": text, "page": page_to}.items() if v and v != 1}
        return "/people" + (f"?{urlencode(params)}" if params else "")

    return page(
        request,
        "people.html",
        login,
        q=text,
        found=found,
        caseload=not text,
        page_no=page_no,
        pages=pages,
        link=link,
    )


@router.get("/migration/people.json")
def picker(session: SessionDep, login: WebLoginDep, q: FinderText = "") -> Response:
    """The exception queue's person picker: the first people the words find (the migration
    team's; the same finder as /api/people, for the page's script on the session cookie)."""
    require_role(session, login.caller, QUEUE_ROLES, "the exception queue's person picker")
    text = q.strip()
    if not text:
        return JSONResponse({"total": 0, "hits": []})
    return JSONResponse(finder.find_people(session, caller=login.caller, text=text, limit=10))
