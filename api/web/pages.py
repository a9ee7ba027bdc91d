"""Practitioners' pages: log in and out, search, a person's chronology, a document's viewer."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api import auth
from api.deps import IndexDep, SessionDep, SettingsDep, StoreDep, WebLoginDep
from api.params import MAX_RESULT_WINDOW, BreakGlassReason, IdPath, Page, parse_date
from api.routes.documents import stream_content, stream_rendition
from api.web.render import check_csrf, page
from api.web.viewer import page_texts, search_terms, viewer_source
from core.clock import utcnow
from core.errors import InvalidInput, NotFound
from indexer.base import SearchQuery
from records import access, filters, finder, reads
from records.access import Caller
from records.finder_query import MAX_QUERY, parse
from records.name_index import SHORT_FORM
from records.person_events import current_person

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
LAST_PAGE = MAX_RESULT_WINDOW // PAGE_SIZE
# The page view the viewer's fetch belongs to (records.reads.document_page).
ViewId = Annotated[int | None, Query(ge=1, lt=2**63)]


# Sec-Fetch-Site values of a form posted from escr's own page (browsers that send none are
# let through: the header is a browser's, and scripts log in without one).
_OWN_SITE = frozenset({"same-origin", "none"})


def _safe_next(target: str) -> str:
    # Only a path on this site: "//host" or "https://..." would make the login an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else "/search"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/search", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/search") -> Response:
    return page(request, "login.html", None, next=_safe_next(next), error="")


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/search",
) -> Response:
    if request.headers.get("sec-fetch-site", "same-origin") not in _OWN_SITE:
        # Login CSRF: another site's page posting this form with its author's password would
        # sign the browser in as them (the session has no CSRF token yet to check).
        message = "this sign-in came from another site: sign in on escr's own page"
        return page(request, "login.html", None, status_code=403, next="/search", error=message)
    try:
        address = request.client.host if request.client else ""
        token = auth.log_in(session, settings, username.strip(), password, address=address)
    except auth.LoginThrottled as exc:
        answer = page(
            request, "login.html", None, status_code=429, next=_safe_next(next), error=str(exc)
        )
        answer.headers["Retry-After"] = str(exc.retry_after_s)
        return answer
    except auth.NotAuthenticated as exc:
        return page(
            request, "login.html", None, status_code=401, next=_safe_next(next), error=str(exc)
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(settings.auth.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return response


@router.post("/logout")
def logout(
    session: SessionDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    escr_session: Annotated[str, Cookie()] = "",
) -> Response:
    check_csrf(login, csrf)
    response = RedirectResponse("/login", status_code=303)
    auth.log_out(session, escr_session)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


@router.get("/search")
def search(
    request: Request,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    q: str = "",
    person: str = "",
    type: str = "",
    source: str = "",
    date_from: str = "",
    date_to: str = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=LAST_PAGE)] = 1,
) -> Response:
    form = {
        "q": q,
        "person": person.strip(),
        "type": type,
        "source": source.strip(),
        "date_from": date_from,
        "date_to": date_to,
    }
    results = None
    error = ""
    searched = any(form.values())
    only_words = form["q"].strip() and not any(v for k, v in form.items() if k != "q")
    people = people_for_search(session, login.caller, form["q"]) if only_words else None
    if people and people["by_identifier"]:
        # A person ID, legacy ID or NHS number typed in the box goes to that person.
        return RedirectResponse(f"/people/{quote(people['by_identifier'], safe='')}", 303)
    if searched:
        try:
            paged = Page(limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
            start, end = parse_date(date_from, "From"), parse_date(date_to, "To")
            if start and end and start > end:
                # Else the search ran on an empty range and said only "No documents found".
                raise InvalidInput("The From date is after the To date: swap them or clear one.")
            query = SearchQuery(
                text=q,
                person_ids=(form["person"],) if form["person"] else (),
                doc_types=filters.doc_types((type,) if type else ()),
                source_systems=(form["source"],) if form["source"] else (),
                date_from=start,
                date_to=end,
                limit=paged.limit,
                offset=paged.offset,
                facets=True,
            )
            results = reads.search(session, index, query, caller=login.caller)
        except InvalidInput as exc:
            error = str(exc)
    on_hits = sorted({p for h in (results.hits if results else []) for p in h.person_ids})

    def link(**changes: object) -> str:
        params = {k: v for k, v in {**form, **changes}.items() if v not in ("", None, 1)}
        return "/search?" + urlencode(params)

    return page(
        request,
        "search.html",
        login,
        status_code=422 if error else 200,  # the form shows why; the status says it was refused
        form=form,
        results=results,
        error=error,
        searched=searched,
        names=reads.person_names(session, login.caller, on_hits),
        people_found=people["hits"] if people else [],
        caseload=None if searched else finder.caseload(session, caller=login.caller, limit=10),
        page_no=page_no,
        # Paging stops at the result window; beyond it the page says to narrow the search.
        pages=min(LAST_PAGE, (results.total - 1) // PAGE_SIZE + 1)
        if results and results.total
        else 0,
        window=MAX_RESULT_WINDOW,
        link=link,
    )


def people_for_search(session: Session, caller: Caller, words: str) -> dict[str, Any]:
    """The people the document search's words name, for the search page: `by_identifier` is
    the one person an identifier found (the page goes there), else a few whose name the words
    are, exactly or by a short form (shown beside the documents)."""
    if len(words) > MAX_QUERY:
        return {"by_identifier": "", "hits": []}
    exact = finder.find_people(session, caller=caller, text=words, limit=2, identifiers_only=True)
    if exact["total"] == 1:
        return {"by_identifier": exact["hits"][0]["person_id"], "hits": []}
    named = finder.find_people(session, caller=caller, text=words, limit=5)
    name_words = len(parse(words).names)
    sure = [h for h in named["hits"] if name_words and h["score"] >= SHORT_FORM * name_words]
    return {"by_identifier": "", "hits": sure}


@router.get("/people/{person_id}")
def person(
    request: Request, person_id: str, session: SessionDep, login: WebLoginDep, type: str = ""
) -> Response:
    if current_person(session, login.caller, person_id) != person_id:
        # The CMS merged this record away: its documents are on the person it went into
        # (where the caller may see them; else this answers as the record it was does).
        return RedirectResponse(f"/link/people/{quote(person_id, safe='')}", status_code=303)
    try:
        record = reads.chronology(
            session, person_id, caller=login.caller, doc_type=filters.doc_type(type)
        )
    except NotFound as exc:
        # Missing and outside the caller's teams answer alike; break-glass is offered to team
        # roles either way (on a missing person it says not found, audited as a probe).
        return page(
            request,
            "restricted.html",
            login,
            status_code=404,
            person_id=person_id,
            message=str(exc),
            can_break=bool(login.caller.roles & access.TEAM_ROLES),
        )
    return page(request, "person.html", login, record=record, type=type)


@router.post("/people/{person_id}/break-glass")
def break_glass(
    person_id: str,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    reason: Annotated[BreakGlassReason, Form()],
    minutes: Annotated[int, Form()] = 60,
) -> Response:
    check_csrf(login, csrf)
    access.break_glass(
        session,
        login.caller,
        person_id,
        reason=reason,
        minutes=minutes,
        max_minutes=settings.auth.break_glass_max_minutes,
        now=utcnow(),
    )
    return RedirectResponse(f"/people/{person_id}", status_code=303)


@router.get("/documents/{document_id}")
def document(
    request: Request,
    document_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    q: Annotated[str, Query(description="the search that led here, its words marked")] = "",
) -> Response:
    # One look, one audit event: the page, its text and the viewer's fetch of the file.
    meta, text, view_id = reads.document_page(session, document_id, caller=login.caller)
    terms = search_terms(q)
    return page(
        request,
        "document.html",
        login,
        doc=meta,
        text=text,
        q=q,
        terms=terms,
        page_texts=page_texts(text, terms),
        pdf_url=viewer_source(document_id, meta, view_id=view_id),
        names=reads.person_names(session, login.caller, meta["person_ids"]),
    )


@router.get("/documents/{document_id}/content")
def content(
    document_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    login: WebLoginDep,
    download: bool = False,
    view: ViewId = None,
) -> Response:
    """The original file: inline for the viewer, or as a download."""
    return stream_content(
        session, store, document_id, login.caller, inline=not download, view_id=view
    )


@router.get("/documents/{document_id}/rendition")
def rendition(
    document_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    login: WebLoginDep,
    view: ViewId = None,
) -> Response:
    """The document's readable PDF, for the viewer."""
    return stream_rendition(session, store, document_id, login.caller, view_id=view)
