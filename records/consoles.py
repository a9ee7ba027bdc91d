"""Reads for the migration and IG consoles: batches, reconciliation, the exception queue and
the audit report. Each checks the caller's role first and is audited like any other read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.access import restrictions_for
from catalog.db import unit_of_work
from catalog.ledger import UPLOAD_BATCH_PREFIX, get_batch, row_detail
from catalog.models import Batch, Document, ExceptionItem, LedgerRow
from catalog.reconcile import ROW_COLUMNS, iter_row_report, reconcile
from core.spreadsheet import spreadsheet_safe
from core.states import TERMINAL_STATES, Reason, RowState, reason_label
from indexer.base import check_window
from records import queue
from records.access import QUEUE_ROLES, Caller, require_role, visible_restrictions
from records.filters import check_choices

CONSOLE_ROLES = QUEUE_ROLES | {"ig_officer"}
AUDIT_ROLES = frozenset({"ig_officer", "administrator"})
_CHUNK = 64 * 1024  # characters of CSV a download sends at a time


def batches(
    session: Session, *, caller: Caller, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Batches, newest first, with how many of their rows have reached a terminal state; a
    case management system's uploads are not migration rounds and are left out."""
    require_role(session, caller, CONSOLE_ROLES, "the migration console")
    check_window(limit, offset)
    page = list(
        session.scalars(
            select(Batch)
            .where(Batch.name.not_like(f"{UPLOAD_BATCH_PREFIX}%"))
            .order_by(Batch.started_at.desc(), Batch.name)
            .limit(limit)
            .offset(offset)
        )
    )
    names = [b.name for b in page]
    done = dict(
        session.execute(
            select(LedgerRow.batch, func.count())
            .where(LedgerRow.state.in_([s.value for s in TERMINAL_STATES]))
            .where(LedgerRow.batch.in_(names))
            .group_by(LedgerRow.batch)
        ).all()
    )
    open_exceptions = _open_exceptions_by_batch(session, names)
    audit.record(session, actor=caller.user_id, action="view_batches", target_type="batch")
    return [
        {
            "batch": b.name,
            "status": b.status,
            "rows": b.rows_total,
            "done": int(done.get(b.name, 0)),
            "open_exceptions": open_exceptions.get(b.name, 0),
            "started_at": b.started_at.isoformat(timespec="seconds"),
            "finished_at": b.finished_at.isoformat(timespec="seconds") if b.finished_at else "",
        }
        for b in page
    ]


def _open_exceptions_by_batch(session: Session, names: list[str]) -> dict[str, int]:
    """Open exceptions of each batch's documents (a document belongs to the round that last
    stored it, as the queue's batch filter has it)."""
    rows = session.execute(
        select(Document.batch, func.count())
        .join(ExceptionItem, ExceptionItem.document_id == Document.id)
        .where(ExceptionItem.status == "open", Document.batch.in_(names))
        .group_by(Document.batch)
    )
    return {batch: int(count) for batch, count in rows}


def reconciliation(session: Session, batch: str, *, caller: Caller) -> dict[str, Any]:
    require_role(session, caller, CONSOLE_ROLES, "reconciliation")
    summary = reconcile(session, batch)
    record = get_batch(session, batch)
    summary["open_exceptions"] = _open_exceptions_by_batch(session, [batch]).get(batch, 0)
    summary["started_at"] = record.started_at.isoformat(timespec="seconds")
    summary["finished_at"] = (
        record.finished_at.isoformat(timespec="seconds") if record.finished_at else ""
    )
    audit.record(
        session,
        actor=caller.user_id,
        action="view_reconciliation",
        target_type="batch",
        target_id=batch,
        on_behalf_of=caller.on_behalf_of,
    )
    return summary


def exception_queue(
    session: Session,
    *,
    caller: Caller,
    kind: str | None = None,
    batch: str | None = None,
    source_system: str | None = None,
    doc_type: str | None = None,
    sort: str = "oldest",
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Open exceptions under the filters (records/queue.py), oldest first or the strongest
    candidate first, each with its candidates labelled by where they came from; `batch`:
    only those of the documents that round last stored."""
    require_role(session, caller, QUEUE_ROLES, "the exception queue")
    wanted = queue.QueueFilter(kind, batch, source_system, doc_type, sort)
    items = _hide_restricted(
        session, caller, queue.page(session, wanted, limit=limit, offset=offset)
    )
    audit.record(
        session,
        actor=caller.user_id,
        action="view_exceptions",
        target_type="queue",
        target_id=kind or "",
        on_behalf_of=caller.on_behalf_of,
        detail={
            k: v
            for k, v in {
                "batch": batch,
                "source_system": source_system,
                "doc_type": doc_type,
                "offset": offset,
            }.items()
            if v
        }
        or None,
    )
    return items


def exception_queue_summary(
    session: Session,
    *,
    caller: Caller,
    kind: str | None = None,
    batch: str | None = None,
    source_system: str | None = None,
    doc_type: str | None = None,
) -> dict[str, Any]:
    """What the queue's page shows around its items: how many match the filters, the values
    the filters can take, and the latest decisions (to undo one)."""
    require_role(session, caller, QUEUE_ROLES, "the exception queue")
    wanted = queue.QueueFilter(kind, batch, source_system, doc_type)
    return {
        "total": queue.count(session, wanted),
        "choices": queue.choices(session),
        "recent": _hide_restricted(session, caller, queue.recent_decisions(session)),
    }


def _hide_restricted(
    session: Session, caller: Caller, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Queue items whose document is of a restricted class the caller holds no grant for
    keep their number, kind and candidates (so they can still be linked) but not what comes
    from the document: its title, the detail and the evidence read from its text."""
    ids = sorted({i["document_id"] for i in items})
    found = list(session.scalars(select(Document).where(Document.id.in_(ids))))
    classes = restrictions_for(session, found)
    for item in items:
        if visible_restrictions(caller, classes.get(item["document_id"], ())):
            continue
        item["title"] = f"document {item['document_id']} (restricted: a grant is needed)"
        if "detail" in item:
            item["detail"] = "not shown: the document is restricted and a grant is needed"
        for person in item.get("candidate_people", ()):
            person["evidence"], person["name_in_text"] = [], ""
    return items


def _row_filter(state: str | None, reason: str | None) -> tuple[str | None, str | None]:
    """The drill-down's state and reason, refused (naming the valid ones) if unknown: a
    misspelt filter must not answer "no rows"."""
    if state:
        check_choices("state", (state,), (s.value for s in RowState))
    if reason:
        check_choices("reason", (reason,), sorted({r.value for r in Reason} | {"unknown"}))
    return state or None, reason or None


def ledger_rows(
    session: Session,
    batch: str,
    *,
    caller: Caller,
    state: str | None = None,
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The batch's ledger rows behind a bar of its reconciliation (a state, a reason or
    both), in manifest order, one page at a time, with how many there are in all. The reason
    "unknown" is a row without one (the chart's name for it)."""
    require_role(session, caller, CONSOLE_ROLES, "the batch's rows")
    check_window(limit, offset)
    state, reason = _row_filter(state, reason)
    get_batch(session, batch)  # NotFound for a batch that does not exist
    query = select(LedgerRow).where(LedgerRow.batch == batch)
    if state:
        query = query.where(LedgerRow.state == state)
    if reason == "unknown":
        query = query.where(LedgerRow.reason.is_(None))
    elif reason:
        query = query.where(LedgerRow.reason == reason)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(LedgerRow.line_no).limit(limit).offset(offset)).all()
    audit.record(
        session,
        actor=caller.user_id,
        action="view_ledger_rows",
        target_type="batch",
        target_id=batch,
        on_behalf_of=caller.on_behalf_of,
        detail={"state": state or "", "reason": reason or "", "offset": offset},
    )
    return {
        "batch": batch,
        "state": state or "",
        "reason": reason or "",
        "total": int(total),
        "rows": [
            {
                "line_no": row.line_no,
                "source_system": row.source_system,
                "source_document_id": row.source_document_id,
                "state": row.state,
                "reason": row.reason or "",
                "reason_label": reason_label(row.reason),
                "document_id": row.document_id,
                "change": row.change,
                "detail": row_detail(row),
            }
            for row in rows
        ],
    }


def check_row_report(session: Session, batch: str, *, caller: Caller) -> None:
    """May the caller download the batch's per-row CSV? The migration team only; audited (the
    caller commits before the first line goes out, so a download always leaves its record)."""
    require_role(session, caller, QUEUE_ROLES, "the batch's row report")
    get_batch(session, batch)
    audit.record(
        session,
        actor=caller.user_id,
        action="download_row_report",
        target_type="batch",
        target_id=batch,
        on_behalf_of=caller.on_behalf_of,
    )


def row_report_chunks(database_url: str, batch: str) -> Iterator[str]:
    """The CSV of `escr reconcile --rows` (the same columns, order and spreadsheet escaping:
    catalog.reconcile's row report), a chunk at a time, on a session of its own: a download
    outlives the request's session. Call check_row_report first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROW_COLUMNS)
    writer.writeheader()
    with unit_of_work(database_url) as session:
        for line in iter_row_report(session, batch):
            writer.writerow({column: spreadsheet_safe(v) for column, v in line.items()})
            if out.tell() >= _CHUNK:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def audit_report(
    session: Session, person_id: str, *, caller: Caller, reads_only: bool = False
) -> list[dict[str, Any]]:
    """Who looked at this person's record (break-glass openings are flagged as alerts)."""
    require_role(session, caller, AUDIT_ROLES, "the audit report")
    events = audit.person_report(session, person_id, reads_only=reads_only)
    # The report itself is a read of the record's history: audited, but not about the person,
    # so the IG officer's look does not crowd the person's own report.
    audit.record(
        session,
        actor=caller.user_id,
        action="view_audit_report",
        target_type="audit",
        target_id=person_id,
        on_behalf_of=caller.on_behalf_of,
    )
    for event in events:
        event["alert"] = event["action"] == "break_glass"
    return events
