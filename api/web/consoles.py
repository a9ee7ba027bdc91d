"""The migration console (batches, reconciliation chart, exception queue and its decisions)
and the IG console (who looked at this person's record)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from api.auth import WebLogin
from api.deps import IndexDep, SessionDep, SettingsDep, WebLoginDep
from api.params import MAX_RESULT_WINDOW, IdPath, Page, paging
from api.web.render import check_csrf, flashes, page
from core.states import reason_label
from records import consoles, decisions, filters
from records.access import require_role

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


@router.get("/migration/exceptions")
def exceptions(
    request: Request,
    session: SessionDep,
    login: WebLoginDep,
    kind: Code = "",
    batch: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    items = consoles.exception_queue(
        session, caller=login.caller, kind=filters.exception_kind(kind), batch=batch or None
    )
    done = flashes.take(login)
    return page(request, "exceptions.html", login, items=items, kind=kind, batch=batch, done=done)


# The queue's batch filter, carried through a decision's form so the officer stays in it.
BatchForm = Annotated[str, Form(max_length=200)]


def _back(login: WebLogin, message: str, batch: str = "") -> Response:
    """Back to the queue (in the batch the officer was working), where the message shows once
    (a server-side flash, never the URL)."""
    flashes.put(login, message)
    query = f"?{urlencode({'batch': batch})}" if batch else ""
    return RedirectResponse(f"/migration/exceptions{query}", status_code=303)


@router.post("/migration/exceptions/{exception_id}/link")
def link(
    exception_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    person_id: Annotated[str, Form()] = "",
    other_person_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    batch: BatchForm = "",
) -> Response:
    check_csrf(login, csrf)
    chosen = other_person_id.strip() or person_id
    result = decisions.link_to_person(
        session,
        index,
        caller=login.caller,
        exception_id=exception_id,
        person_id=chosen,
        note=note,
    )
    return _back(login, f"Document {result['document_id']} linked to {chosen}.", batch)


@router.post("/migration/documents/{document_id}/type")
def confirm_type(
    document_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    doc_type: Annotated[str, Form()],
    batch: BatchForm = "",
) -> Response:
    check_csrf(login, csrf)
    decisions.confirm_type(
        session, index, caller=login.caller, document_id=document_id, doc_type=doc_type
    )
    return _back(login, f"Document {document_id} confirmed as {doc_type}.", batch)


@router.post("/migration/exceptions/{exception_id}/not-needed")
def not_needed(
    exception_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    batch: BatchForm = "",
) -> Response:
    check_csrf(login, csrf)
    decisions.mark_not_needed(
        session, index, caller=login.caller, exception_id=exception_id, note=note
    )
    return _back(login, f"Exception {exception_id} closed as not needed.", batch)


@router.get("/ig")
def ig(request: Request, session: SessionDep, login: WebLoginDep, person: str = "") -> Response:
    events = (
        consoles.audit_report(session, person.strip(), caller=login.caller)
        if person.strip()
        else None
    )
    if events is None:
        # Even the empty console is for IG officers only.
        require_role(session, login.caller, consoles.AUDIT_ROLES, "the IG console")
    return page(request, "ig.html", login, person=person.strip(), events=events)
