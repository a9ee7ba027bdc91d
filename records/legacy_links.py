"""Following an old document link after migration (issue 16, docs/decisions/0038): the
manifest's `legacy_url` (kept on the ledger row, LedgerRow.legacy_url, as given) matched
however the link was written (domain/legacy_urls.py) to the migrated document, or to the
ledger's account of why there is none.

The keys live in `legacy_links` (catalog/legacy_links.py), derived from the ledger and made as
a manifest is registered; a look keys rows registered since (a watermark on the ledger ID), and
a link not found triggers one full pass, at most once a minute, for rows the watermark missed
(two loads registering at once can commit their IDs out of order). The table can be dropped and
made again at any time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.documents import linked_person_ids
from catalog.legacy_links import key_new_rows
from catalog.models import Document, LedgerRow
from catalog.models_legacy_links import LegacyLink
from core.states import REASON_LABELS, Reason, RowState
from domain.legacy_urls import LegacyUrlKey, legacy_url_key
from records.access import Caller, visible_documents

# A document in one of these states has no page to send a reader to (destroyed: by retention).
NOT_MIGRATED = frozenset({RowState.QUARANTINED, RowState.FAILED, "destroyed"})
MIGRATED, NOT_MIGRATED_KIND, UNKNOWN, AMBIGUOUS = "migrated", "not_migrated", "unknown", "ambiguous"


# The full pass reads every ledger row with a link: on a miss, at most once a minute per
# process, so a stream of unknown links cannot make each request scan the ledger.
FULL_PASS_EVERY_S = 60.0
_last_full = [float("-inf")]
_full_lock = threading.Lock()


def _full_pass_due() -> bool:
    with _full_lock:
        now = time.monotonic()
        if now - _last_full[0] < FULL_PASS_EVERY_S:
            return False
        _last_full[0] = now
        return True


@dataclass
class LegacyAnswer:
    """Where an old link leads: a document (`migrated`), or the ledger's rows for it."""

    kind: str  # migrated | not_migrated | unknown | ambiguous
    document_id: int | None = None
    documents: list[int] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


def _matches(session: Session, key: LegacyUrlKey, by_path: bool) -> list[LedgerRow]:
    column = LegacyLink.path_sha256 if by_path else LegacyLink.full_sha256
    wanted = key.path_sha256 if by_path else key.full_sha256
    query = (
        select(LedgerRow)
        .join(LegacyLink, LegacyLink.ledger_id == LedgerRow.id)
        .where(column == wanted)
        .order_by(LedgerRow.id.desc())
        .limit(50)
    )
    return list(session.scalars(query))


def _row_json(row: LedgerRow, document: Document | None) -> dict[str, Any]:
    state = document.state if document is not None and document.state in NOT_MIGRATED else row.state
    reason = (document.reason if document is not None and document.reason else row.reason) or ""
    label = REASON_LABELS.get(Reason(reason), reason) if reason in set(Reason) else reason
    return {
        "state": state,
        "reason": reason,
        "reason_label": label,
        "batch": row.batch,
        "line_no": row.line_no,
        "source_system": row.source_system,
        "source_document_id": row.source_document_id,
        "updated_at": row.updated_at.isoformat(),
    }


def _hidden(session: Session, caller: Caller, documents: dict[int, Document]) -> set[int]:
    """The documents the caller may not see (records.access's rule): their rows are left out,
    so a link to one answers as an unknown link does. A document not migrated and on nobody's
    record says nothing about anyone, and keeps its account of why it was not migrated."""
    seen = {d.id for d in visible_documents(session, caller, list(documents.values()))}
    return {
        i
        for i, d in documents.items()
        if i not in seen and (d.state not in NOT_MIGRATED or linked_person_ids(session, i))
    }


def _answer(
    session: Session, caller: Caller, rows: list[LedgerRow]
) -> tuple[LegacyAnswer, set[int]]:
    ids = {r.document_id for r in rows if r.document_id is not None}
    documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    hidden = _hidden(session, caller, documents)
    rows = [r for r in rows if r.document_id not in hidden]
    for i in hidden:
        del documents[i]
    return _described(documents, rows), hidden


def _described(documents: dict[int, Document], rows: list[LedgerRow]) -> LegacyAnswer:
    if not rows:
        return LegacyAnswer(UNKNOWN)
    live = sorted(i for i, d in documents.items() if d.state not in NOT_MIGRATED)
    described = [_row_json(r, documents.get(r.document_id or 0)) for r in rows]
    if len(live) == 1:
        return LegacyAnswer(MIGRATED, live[0], live, described)
    if live:
        return LegacyAnswer(AMBIGUOUS, None, live, described)
    return LegacyAnswer(NOT_MIGRATED_KIND, None, [], described)


def follow(session: Session, caller: Caller, url: str, *, by_path: bool = False) -> LegacyAnswer:
    """Where the old link `url` leads (by its path alone where it came from /legacy/<path>,
    which has lost the host); audited. Raises ValueError for what is not a link."""
    key = legacy_url_key(url)
    key_new_rows(session)
    rows = _matches(session, key, by_path)
    if not rows and _full_pass_due() and key_new_rows(session, full=True):
        rows = _matches(session, key, by_path)
    answer, hidden = _answer(session, caller, rows)
    audit.record(
        session,
        actor=caller.user_id,
        action="legacy_link",
        target_type="document" if answer.document_id else "legacy_url",
        target_id=str(answer.document_id or key.full_sha256[:16]),
        on_behalf_of=caller.on_behalf_of,
        # What the caller was not shown is kept here: the audit keeps the truth.
        detail={
            "kind": answer.kind,
            "documents": answer.documents,
            "by_path": by_path,
            **({"hidden": sorted(hidden)} if hidden else {}),
        },
    )
    return answer
