"""The migration console (batches, reconciliation chart, exception queue and its decisions)
and the IG console (who looked at this person's record)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import WebLogin
from api.deps import IndexDep, SessionDep, WebLoginDep
from api.params import IdPath
from api.web.render import check_csrf, flashes, page
from records import consoles, decisions
from records.access import require_role

router = APIRouter(include_in_schema=False)


@router.get("/migration")
def migration(request: Request, session: SessionDep, login: WebLoginDep) -> Response:
    return page(
        request, "migration.html", login, batches=consoles.batches(session, caller=login.caller)
    )


def _bars(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Bars for the chart, longest first, each with its share of the largest (for the SVG)."""
    top = max(counts.values(), default=0) or 1
    return [
        {"label": k, "count": v, "width": round(100 * v / top, 1)}
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
        state_bars=_bars(summary["states"]),
        reason_bars=_bars(reasons),
    )


@router.get("/migration/exceptions")
def exceptions(
    request: Request, session: SessionDep, login: WebLoginDep, kind: str = ""
) -> Response:
    items = consoles.exception_queue(session, caller=login.caller, kind=kind or None)
    done = flashes.take(login)
    return page(request, "exceptions.html", login, items=items, kind=kind, done=done)


def _back(login: WebLogin, message: str) -> Response:
    """Back to the queue, where the message shows once (a server-side flash, never the URL)."""
    flashes.put(login, message)
    return RedirectResponse("/migration/exceptions", status_code=303)


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
    return _back(login, f"Document {result['document_id']} linked to {chosen}.")


@router.post("/migration/documents/{document_id}/type")
def confirm_type(
    document_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    doc_type: Annotated[str, Form()],
) -> Response:
    check_csrf(login, csrf)
    decisions.confirm_type(
        session, index, caller=login.caller, document_id=document_id, doc_type=doc_type
    )
    return _back(login, f"Document {document_id} confirmed as {doc_type}.")


@router.post("/migration/exceptions/{exception_id}/not-needed")
def not_needed(
    exception_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(login, csrf)
    decisions.mark_not_needed(
        session, index, caller=login.caller, exception_id=exception_id, note=note
    )
    return _back(login, f"Exception {exception_id} closed as not needed.")


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
