"""The migration console (batches, reconciliation chart, exception queue and its decisions).
The governance pages are api/web/ig.py, retention.py and holds.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from api.auth import WebLogin
from api.deps import IndexDep, SessionDep, SettingsDep, WebLoginDep
from api.params import MAX_RESULT_WINDOW, IdPath, Page, paging
from api.web.render import Flashes, check_csrf, flashes, page
from catalog.models import Document
from core.errors import Conflict, InvalidInput, NotFound
from core.states import reason_label
from domain.vocabulary import EXCEPTION_KIND_LABELS
from records import consoles, decisions, filters, finder, reads
from records.access import visible_documents
from records.finder_query import MAX_QUERY

router = APIRouter(include_in_schema=False)
RowsPage = Annotated[Page, Depends(paging(50, 200))]
# A state or reason code is a short word; anything longer is not one (and is refused).
Code = Annotated[str, Query(max_length=50)]


@router.get("/migration")
def migration(request: Request, session: SessionDep, login: WebLoginDep) -> Response:
    return page(
        request, "migration.html", login, batches=consoles.batches(session, caller=login.caller)
    )


def rows_url(batch: str, **filters: str) -> str:
    """The drill-down list of a batch's ledger rows with these filters (state, reason)."""
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"/migration/batches/{_quoted(batch)}/rows" + (f"?{query}" if query else "")


def _quoted(batch: str) -> str:
    return quote(batch, safe="")


def _bars(counts: dict[str, int], filter_name: str, batch: str) -> list[dict[str, Any]]:
    """Bars for the chart, longest first, each with its share of the largest (for the SVG),
    its label for people and the link to the rows behind it."""
    top = max(counts.values(), default=0) or 1
    return [
        {
            "code": k,
            "label": reason_label(k) if filter_name == "reason" else k.replace("_", " "),
            "count": v,
            "width": round(100 * v / top, 1),
            "href": rows_url(batch, **{filter_name: k}),
        }
        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


@router.get("/migration/batches/{batch}")
def batch(request: Request, batch: str, session: SessionDep, login: WebLoginDep) -> Response:
    summary = consoles.reconciliation(session, batch, caller=login.caller)
    reasons = {**summary["quarantined"], **summary["failed_reasons"]}
    return page(
        request,
        "batch.html",
        login,
        summary=summary,
        state_bars=_bars(summary["states"], "state", batch),
        reason_bars=_bars(reasons, "reason", batch),
        rows_url=rows_url,
        batch_path=_quoted(batch),
    )


@router.get("/migration/batches/{batch}/rows")
def batch_rows(
    request: Request,
    batch: str,
    session: SessionDep,
    login: WebLoginDep,
    window: RowsPage,
    state: Code = "",
    reason: Code = "",
) -> Response:
    """The ledger rows behind a bar of the batch's charts, a page at a time."""
    listing = consoles.ledger_rows(
        session,
        batch,
        caller=login.caller,
        state=state,
        reason=reason,
        limit=window.limit,
        offset=window.offset,
    )
    here = rows_url(batch, state=listing["state"], reason=listing["reason"])
    joiner = "&" if "?" in here else "?"

    def at(offset: int) -> str:
        return f"{here}{joiner}{urlencode({'offset': offset, 'limit': window.limit})}"

    total, shown = listing["total"], len(listing["rows"])
    return page(
        request,
        "rows.html",
        login,
        listing=listing,
        first=window.offset + 1 if shown else 0,
        last=window.offset + shown,
        previous=at(max(0, window.offset - window.limit)) if window.offset else "",
        # Never a link past the deepest page the bounds allow (api/params.py).
        next=at(window.offset + window.limit)
        if window.offset + shown < total and window.offset + 2 * window.limit <= MAX_RESULT_WINDOW
        else "",
        batch_path=_quoted(batch),
        reason_text=reason_label(listing["reason"]),
    )


# Names a browser may save the download as: the batch's name, its odd characters replaced.
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("/migration/batches/{batch}/rows.csv")
def batch_rows_csv(
    batch: str, session: SessionDep, settings: SettingsDep, login: WebLoginDep
) -> Response:
    """The per-row CSV of `escr reconcile --rows`, streamed (migration officers and
    administrators; each download audited before its first line)."""
    consoles.check_row_report(session, batch, caller=login.caller)
    session.commit()
    name = _UNSAFE_NAME.sub("_", batch)[:100] or "batch"
    return StreamingResponse(
        consoles.row_report_chunks(settings.database_url, batch),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-rows.csv"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


QUEUE_PAGE = 20
QUEUE_LAST_PAGE = MAX_RESULT_WINDOW // QUEUE_PAGE
# A decision that could not be made: shown once on the queue, in the error style.
failures = Flashes()


def _queue_state(
    kind: str, batch: str, source: str, type: str, sort: str, page_no: int
) -> dict[str, str]:
    """The queue's filters, sort and page as query parameters (defaults left out)."""
    state = {
        "kind": kind,
        "batch": batch,
        "source": source,
        "type": type,
        "sort": "" if sort == "oldest" else sort,
        "page": "" if page_no == 1 else str(page_no),
    }
    return {k: v for k, v in state.items() if v}


def queue_url(**state: str) -> str:
    query = urlencode({k: v for k, v in state.items() if v})
    return "/migration/exceptions" + (f"?{query}" if query else "")


@router.get("/migration/exceptions")
def exceptions(
    request: Request,
    session: SessionDep,
    login: WebLoginDep,
    kind: Code = "",
    batch: Annotated[str, Query(max_length=200)] = "",
    source: Annotated[str, Query(max_length=100)] = "",
    type: Code = "",
    sort: Code = "oldest",
    page_no: Annotated[int, Query(alias="page", ge=1, le=QUEUE_LAST_PAGE)] = 1,
    find: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    for_item: Annotated[int, Query(alias="for", ge=0)] = 0,
) -> Response:
    """The queue a page at a time; `find` and `for`: the person picker's results for one
    item, when the page's script is not running (the picker works without it)."""
    wanted = dict(
        kind=filters.exception_kind(kind),
        batch=batch or None,
        source_system=source or None,
        doc_type=filters.doc_type(type),
    )
    items = consoles.exception_queue(
        session,
        caller=login.caller,
        sort=sort,
        limit=QUEUE_PAGE,
        offset=(page_no - 1) * QUEUE_PAGE,
        **wanted,
    )
    summary = consoles.exception_queue_summary(session, caller=login.caller, **wanted)
    picked = (
        finder.find_people(session, caller=login.caller, text=find.strip(), limit=10)
        if find.strip() and for_item
        else None
    )
    state = _queue_state(kind, batch, source, type, sort, page_no)
    pages = min(QUEUE_LAST_PAGE, (summary["total"] - 1) // QUEUE_PAGE + 1)
    return page(
        request,
        "exceptions.html",
        login,
        items=items,
        summary=summary,
        state=state,
        kind=kind,
        batch=batch,
        source=source,
        type=type,
        sort=sort,
        page_no=page_no,
        pages=pages,
        first=(page_no - 1) * QUEUE_PAGE + 1 if items else 0,
        last=(page_no - 1) * QUEUE_PAGE + len(items),
        queue_url=queue_url,
        find=find.strip(),
        for_item=for_item,
        picked=picked,
        kinds=EXCEPTION_KIND_LABELS,
        done=flashes.take(login),
        failed=failures.take(login),
    )


# The queue's batch filter, as forms of earlier pages sent it.
BatchForm = Annotated[str, Form(max_length=200)]
# The queue's state (filters, sort, page), carried through a decision's form so the officer
# stays where they were.
StateForm = Annotated[str, Form(max_length=2000)]


def _back(login: WebLogin, message: str, state: str = "", *, failed: bool = False) -> Response:
    """Back to the queue where the officer was, where the message shows once (a server-side
    flash, never the URL): what was done, or what was wrong."""
    (failures if failed else flashes).put(login, message)
    back = parse_qsl(state)
    query = urlencode([(k, v) for k, v in back if k in _STATE_KEYS])
    return RedirectResponse(f"/migration/exceptions{'?' + query if query else ''}", 303)


_STATE_KEYS = frozenset({"kind", "batch", "source", "type", "sort", "page"})


def _decided(login: WebLogin, state: str, decide: Callable[[], str]) -> Response:
    """Make a decision; a refusal (a person not found, an item already decided) goes back to
    the queue saying what was wrong, never to an error page."""
    try:
        return _back(login, decide(), state)
    except (InvalidInput, Conflict, NotFound) as exc:
        return _back(login, str(exc), state, failed=True)


@router.post("/migration/exceptions/{exception_id}/link")
def link(
    exception_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    person_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "one",
    state: StateForm = "",
    batch: BatchForm = "",
) -> Response:
    """Link the item's document, or (scope=legacy_id) every open document of its legacy ID."""
    check_csrf(login, csrf)
    state = state or (urlencode({"batch": batch}) if batch else "")

    def decide() -> str:
        if scope == "legacy_id":
            done = decisions.link_legacy_id(
                session,
                index,
                caller=login.caller,
                exception_id=exception_id,
                person_id=person_id,
                note=note,
            )
            count = len(done["documents"])  # type: ignore[arg-type]
            return (
                f"{count} document{'s' if count != 1 else ''} of legacy ID "
                f"{done['legacy_id']} linked to {done['person_id']}"
                + ("; later rounds will do the same." if done["remembered"] else ".")
            )
        result = decisions.link_to_person(
            session,
            index,
            caller=login.caller,
            exception_id=exception_id,
            person_id=person_id,
            note=note,
        )
        linked = f"Document {result['document_id']} linked to {result['person_id']}."
        document_id = result["document_id"]
        assert isinstance(document_id, int)
        return linked + _now_on(session, login, document_id, str(result["person_id"]))

    return _decided(login, state, decide)


def _now_on(session: Session, login: WebLogin, document_id: int, person_id: str) -> str:
    """The decision in words (' “Letter” is now on Ann Ash's record.'), where the officer may
    see both: the IDs alone named nothing they had just read on the card."""
    document = session.get(Document, document_id)
    visible = visible_documents(session, login.caller, [document]) if document else []
    names = reads.person_names(session, login.caller, [person_id])
    if not visible or person_id not in names:
        return ""
    return f" “{visible[0].title}” is now on {names[person_id]}'s record."


@router.post("/migration/exceptions/{exception_id}/undo")
def undo(
    exception_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=1000)] = "",
    state: StateForm = "",
) -> Response:
    check_csrf(login, csrf)

    def decide() -> str:
        done = decisions.undo(
            session, index, caller=login.caller, exception_id=exception_id, reason=reason
        )
        whom = f" taken off {done['unlinked_from']}" if done["unlinked_from"] else ""
        return f"Decision undone: document {done['document_id']}{whom}, back in the queue."

    return _decided(login, state, decide)


@router.post("/migration/documents/{document_id}/type")
def confirm_type(
    document_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    doc_type: Annotated[str, Form()],
    state: StateForm = "",
    batch: BatchForm = "",
) -> Response:
    check_csrf(login, csrf)
    state = state or (urlencode({"batch": batch}) if batch else "")

    def decide() -> str:
        decisions.confirm_type(
            session, index, caller=login.caller, document_id=document_id, doc_type=doc_type
        )
        return f"Document {document_id} confirmed as {doc_type}."

    return _decided(login, state, decide)


@router.post("/migration/exceptions/{exception_id}/not-needed")
def not_needed(
    exception_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    state: StateForm = "",
    batch: BatchForm = "",
) -> Response:
    check_csrf(login, csrf)
    state = state or (urlencode({"batch": batch}) if batch else "")

    def decide() -> str:
        decisions.mark_not_needed(
            session, index, caller=login.caller, exception_id=exception_id, note=note
        )
        return f"Exception {exception_id} closed as not needed."

    return _decided(login, state, decide)
