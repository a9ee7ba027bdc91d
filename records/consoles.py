"""Reads for the migration and IG consoles: batches, reconciliation, the exception queue and
the audit report. Each checks the caller's role first and is audited like any other read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models import Batch, Document, ExceptionItem, LedgerRow, Person
from catalog.reconcile import reconcile
from core.states import TERMINAL_STATES
from indexer.base import check_window
from records.access import QUEUE_ROLES, Caller, require_role

CONSOLE_ROLES = QUEUE_ROLES | {"ig_officer"}
AUDIT_ROLES = frozenset({"ig_officer", "administrator"})


def batches(
    session: Session, *, caller: Caller, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Batches, newest first, with how many of their rows have reached a terminal state."""
    require_role(session, caller, CONSOLE_ROLES, "the migration console")
    check_window(limit, offset)
    page = list(
        session.scalars(
            select(Batch).order_by(Batch.started_at.desc(), Batch.name).limit(limit).offset(offset)
        )
    )
    done = dict(
        session.execute(
            select(LedgerRow.batch, func.count())
            .where(LedgerRow.state.in_([s.value for s in TERMINAL_STATES]))
            .where(LedgerRow.batch.in_([b.name for b in page]))
            .group_by(LedgerRow.batch)
        ).all()
    )
    audit.record(session, actor=caller.user_id, action="view_batches", target_type="batch")
    return [
        {
            "batch": b.name,
            "status": b.status,
            "rows": b.rows_total,
            "done": int(done.get(b.name, 0)),
            "started_at": b.started_at.isoformat(timespec="seconds"),
            "finished_at": b.finished_at.isoformat(timespec="seconds") if b.finished_at else "",
        }
        for b in page
    ]


def reconciliation(session: Session, batch: str, *, caller: Caller) -> dict[str, Any]:
    require_role(session, caller, CONSOLE_ROLES, "reconciliation")
    summary = reconcile(session, batch)
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
    session: Session, *, caller: Caller, kind: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Open exceptions, oldest first, with each candidate's name and date of birth."""
    require_role(session, caller, QUEUE_ROLES, "the exception queue")
    check_window(limit, offset)  # the same bound as search, for any caller of this read
    query = (
        select(ExceptionItem, Document)
        .join(Document, Document.id == ExceptionItem.document_id)
        .where(ExceptionItem.status == "open")
        .order_by(ExceptionItem.id)
        .limit(limit)
        .offset(offset)
    )
    if kind:
        query = query.where(ExceptionItem.kind == kind)
    items = session.execute(query).all()
    wanted = {str(c) for item, _ in items for c in item.candidates}
    people = {
        p.person_id: p
        for p in session.scalars(select(Person).where(Person.person_id.in_(sorted(wanted))))
    }
    audit.record(
        session,
        actor=caller.user_id,
        action="view_exceptions",
        target_type="queue",
        target_id=kind or "",
        on_behalf_of=caller.on_behalf_of,
    )
    return [
        {
            "exception_id": item.id,
            "kind": item.kind,
            "detail": item.detail,
            "candidates": item.candidates,
            "candidate_people": [_candidate(people[c]) for c in item.candidates if c in people],
            "document_id": document.id,
            "source_system": document.source_system,
            "source_document_id": document.source_document_id,
            "title": document.title,
            "doc_type": document.doc_type,
            "type_confidence": document.type_confidence,
            "legacy_person_ids": document.legacy_person_ids,
            "state": document.state,
        }
        for item, document in items
    ]


def _candidate(person: Person) -> dict[str, Any]:
    born = person.date_of_birth
    return {
        "person_id": person.person_id,
        "name": f"{person.given_name} {person.family_name}".strip(),
        "date_of_birth": born.isoformat() if born else None,
    }


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
