"""After a person event (records/person_events.py): the moved documents re-indexed and their
retention re-evaluated, here because the faces alone may call both governance rooms.

The event and its webhook events are committed first; the index write follows (catalog
first, index after), then retention. An index that fails leaves the documents
`pending_index` for `escr reindex --pending`; the answer says so rather than hiding the event
that did happen behind an error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog.db import IN_LIST_MAX, write_first
from catalog.models import Document
from core.clock import utcnow
from core.errors import TransientBackendError
from core.logging import get_logger
from core.settings import Settings
from core.states import RowState
from indexer.base import SearchIndex
from indexer.documents import search_document
from records.person_events import Outcome
from retention import appraise
from retention.periods import server_today
from retention.rules import current_evaluator
from storage.base import BlobStore

log = get_logger(__name__)


def _waiting(session: Session, ids: list[int]) -> list[Document]:
    found: list[Document] = []
    for start in range(0, len(ids), IN_LIST_MAX):
        chunk = ids[start : start + IN_LIST_MAX]
        found.extend(
            session.scalars(
                select(Document).where(
                    Document.id.in_(chunk), Document.state == RowState.PENDING_INDEX
                )
            )
        )
    return found


def settle(
    session: Session,
    index: SearchIndex,
    store: BlobStore | None,
    settings: Settings,
    outcome: Outcome,
) -> dict[str, Any]:
    """Commit the event, re-index what it moved, re-evaluate their retention; the answer."""
    session.commit()
    waiting = _waiting(session, outcome.documents)
    reindexed = True
    try:
        index.upsert([search_document(session, d) for d in waiting])
        # The read ends before the write: on SQLite a read transaction cannot become a write
        # once another writer (the webhook sender) has committed since it began.
        write_first(session)
        docs.set_states(session, waiting, RowState.INDEXED, utcnow())
        session.commit()
    except TransientBackendError as exc:
        session.rollback()
        reindexed = False
        log.warning("person_event.reindex_failed", event_id=outcome.event_id, error=str(exc))
    write_first(session)  # retention reads, then writes: as a writer from the start
    evaluator = current_evaluator(session, settings.home, actor="escr")
    counts = appraise.evaluate(
        session, evaluator, today=server_today(), store=store, document_ids=outcome.documents
    )
    session.commit()
    return {
        **outcome.as_json(),
        "reindexed": reindexed,
        "retention": {k: v for k, v in counts.items() if k in ("evaluated", "unchanged")},
    }
