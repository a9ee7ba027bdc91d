"""Reconciliation of a batch: a query over the ledger, so the numbers cannot drift."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.ledger import get_batch, row_detail
from catalog.models import Document, DocumentLink, LedgerRow
from core.spreadsheet import spreadsheet_safe
from core.states import TERMINAL_STATES, RowState

ROW_COLUMNS = (
    "line_no",
    "source_system",
    "source_document_id",
    "state",
    "reason",
    "document_id",
    "person_ids",
    "doc_type",
    "sha256",
    "change",
    "detail",
)


def reconcile(session: Session, batch: str) -> dict[str, Any]:
    """Counts for the batch. `unaccounted` must be 0: it counts what is not done, the rows not
    in a terminal state (or not registered) and the batch's attachments not in one. An
    attachment has no row of its own, and one left `stored` is as lost as a row left so."""
    record = get_batch(session, batch)
    by_state: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    failed: dict[str, int] = {}
    for state, reason, count in session.execute(
        select(LedgerRow.state, LedgerRow.reason, func.count())
        .where(LedgerRow.batch == batch)
        .group_by(LedgerRow.state, LedgerRow.reason)
    ):
        by_state[state] = by_state.get(state, 0) + count
        if state == RowState.QUARANTINED:
            quarantined[reason or "unknown"] = quarantined.get(reason or "unknown", 0) + count
        elif state == RowState.FAILED:
            failed[reason or "unknown"] = failed.get(reason or "unknown", 0) + count
    rows = sum(by_state.values())
    linked_docs = select(DocumentLink.document_id).distinct().scalar_subquery()
    indexed_rows = select(LedgerRow).where(
        LedgerRow.batch == batch, LedgerRow.state == RowState.INDEXED
    )
    linked = (
        session.scalar(
            select(func.count()).select_from(
                indexed_rows.where(LedgerRow.document_id.in_(linked_docs)).subquery()
            )
        )
        or 0
    )
    attachments = _attachments(session, batch)
    unaccounted = (
        sum(c for s, c in by_state.items() if s not in TERMINAL_STATES)
        + max(0, record.rows_total - rows)
        + sum(c for s, c in attachments.items() if s not in TERMINAL_STATES)
    )
    return {
        "batch": batch,
        # A batch marked complete before attachments were counted is not, while one is left.
        "status": "loading" if record.status == "complete" and unaccounted else record.status,
        "rows": rows,
        "manifest_rows": record.rows_total,
        "indexed": by_state.get(RowState.INDEXED, 0),
        "quarantined": quarantined,
        "failed": sum(failed.values()),
        "failed_reasons": failed,
        "duplicates": _content_duplicates(session, batch),
        "duplicate_rows": by_state.get(RowState.DUPLICATE, 0),
        "linked": linked,
        "unlinked": by_state.get(RowState.INDEXED, 0) - linked,
        "attachments": attachments,
        "attachments_pending": sum(c for s, c in attachments.items() if s not in TERMINAL_STATES),
        "changes": _changes(session, batch),
        "states": by_state,
        "unaccounted": unaccounted,
    }


def _content_duplicates(session: Session, batch: str) -> int:
    """Rows whose file has the same bytes as an earlier row's: stored once, counted here."""
    per_sha = (
        select(func.count().label("n"))
        .where(LedgerRow.batch == batch, LedgerRow.sha256.is_not(None))
        .group_by(LedgerRow.sha256)
        .subquery()
    )
    return int(session.scalar(select(func.coalesce(func.sum(per_sha.c.n - 1), 0))) or 0)


def _attachments(session: Session, batch: str) -> dict[str, int]:
    rows = session.execute(
        select(Document.state, func.count())
        .where(Document.batch == batch, Document.parent_id.is_not(None))
        .group_by(Document.state)
    )
    return {state: count for state, count in rows}


def _changes(session: Session, batch: str) -> dict[str, int]:
    rows = session.execute(
        select(LedgerRow.change, func.count())
        .where(LedgerRow.batch == batch, LedgerRow.change != "")
        .group_by(LedgerRow.change)
    )
    return {change: count for change, count in rows}


def iter_row_report(session: Session, batch: str) -> Iterator[dict[str, Any]]:
    """One line per manifest row, in manifest order, for `escr reconcile --rows`."""
    get_batch(session, batch)
    last_id = 0
    while True:
        page = session.execute(
            select(LedgerRow, Document.doc_type)
            .outerjoin(Document, Document.id == LedgerRow.document_id)
            .where(LedgerRow.batch == batch, LedgerRow.id > last_id)
            .order_by(LedgerRow.id)
            .limit(1000)
        ).all()
        if not page:
            return
        ids = [row.document_id for row, _ in page if row.document_id is not None]
        people: dict[int, list[str]] = {}
        for document_id, person_id in session.execute(
            select(DocumentLink.document_id, DocumentLink.person_id).where(
                DocumentLink.document_id.in_(ids)
            )
        ):
            people.setdefault(document_id, []).append(person_id)
        for row, doc_type in page:
            yield {
                "line_no": row.line_no,
                "source_system": row.source_system,
                "source_document_id": row.source_document_id,
                "state": row.state,
                "reason": row.reason or "",
                "document_id": row.document_id or "",
                "person_ids": ";".join(sorted(people.get(row.document_id or -1, []))),
                "doc_type": (doc_type or "") if row.state == RowState.INDEXED else "",
                "sha256": row.sha256 or "",
                "change": row.change,
                "detail": row_detail(row),
            }
        last_id = page[-1][0].id


def write_row_report(session: Session, batch: str, out: TextIO | Path) -> int:
    """Write the per-row CSV; returns the number of rows written."""
    handle = out.open("w", newline="", encoding="utf-8") if isinstance(out, Path) else out
    try:
        writer = csv.DictWriter(handle, fieldnames=ROW_COLUMNS)
        writer.writeheader()
        count = 0
        for line in iter_row_report(session, batch):
            # IDs and details come from the manifest as written: never a formula in the report.
            writer.writerow({column: spreadsheet_safe(value) for column, value in line.items()})
            count += 1
        return count
    finally:
        if isinstance(out, Path):
            handle.close()
