"""Links other systems embed: a deep link for each document and each person's chronology,
and old (pre-migration) document links, followed (issue 16, docs/decisions/0038).

    /link/documents/{id}      -> the document's viewer
    /link/people/{person_id}  -> the person's chronology (a merged-away person's: where it went)
    /legacy?url=<old link>    -> 308 to the document's deep link, or why it was not migrated
    /legacy/<old path>        -> the same, matched on the old link's path and query alone

Each needs a signed-in user: a visit without one goes to the login page and comes back here
(api/web/render.py). Every redirect's address is made here from a catalog ID, never from the
request, so none of these can send a browser to another site.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, WebLoginDep
from api.params import IdPath
from api.web.render import page
from domain.legacy_urls import MAX_URL
from records import legacy_links
from records.person_events import current_person

router = APIRouter(include_in_schema=False)


def document_link(document_id: int) -> str:
    """A document's deep link (a path: the CMS makes it absolute with escr's address)."""
    return f"/link/documents/{document_id}"


def person_link(person_id: str) -> str:
    return f"/link/people/{quote(person_id, safe='')}"


@router.get("/link/documents/{document_id}")
def document(document_id: IdPath, login: WebLoginDep) -> Response:
    # The viewer checks access and audits the view; this only says where the viewer is.
    return RedirectResponse(f"/documents/{document_id}", status_code=303)


@router.get("/link/people/{person_id}")
def person(person_id: str, session: SessionDep, login: WebLoginDep) -> Response:
    current = current_person(session, login.caller, person_id)
    return RedirectResponse(f"/people/{quote(current, safe='')}", status_code=303)


def _answer(
    request: Request, session: SessionDep, login: WebLoginDep, url: str, by_path: bool
) -> Response:
    try:
        answer = legacy_links.follow(session, login.caller, url, by_path=by_path)
    except ValueError as exc:
        return page(
            request, "legacy.html", login, status_code=400, url=url, answer=None, error=str(exc)
        )
    if answer.kind == legacy_links.MIGRATED and answer.document_id is not None:
        return RedirectResponse(document_link(answer.document_id), status_code=308)
    status = 300 if answer.kind == legacy_links.AMBIGUOUS else 404
    return page(
        request,
        "legacy.html",
        login,
        status_code=status,
        url=url,
        answer=answer,
        error="",
        links=[(i, document_link(i)) for i in answer.documents],
    )


@router.get("/legacy")
def legacy(
    request: Request,
    session: SessionDep,
    login: WebLoginDep,
    url: Annotated[str, Query(min_length=1, max_length=MAX_URL)],
) -> Response:
    return _answer(request, session, login, url, by_path=False)


@router.get("/legacy/{old_path:path}")
def legacy_path(
    request: Request, session: SessionDep, login: WebLoginDep, old_path: str
) -> Response:
    query = request.url.query
    return _answer(request, session, login, "/" + old_path + (f"?{query}" if query else ""), True)
