"""Rebuild the search index from the catalog (the catalog is the truth)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import ledger
from catalog.db import IN_LIST_MAX, session_factory
from catalog.models import Document
from catalog.models_retention import DestructionRecord
from core.clock import utcnow
from core.settings import Settings
from core.states import RowState
from indexer.base import SearchDocument, SearchIndex
from indexer.documents import search_documents
from indexer.factory import make_index

PAGE = 500
INDEXABLE = (RowState.PENDING_INDEX, RowState.INDEXED)
# The catch-up after a rebuild looks back this much further than the rebuild's start: the
# loader and the API may run on hosts whose clocks differ a little from this one.
CLOCK_MARGIN = timedelta(minutes=1)


def reindex_catalog(settings: Settings, *, pending_only: bool = False) -> int:
    """Index documents waiting for the index, or rebuild it from every indexable one (the old
    index answers searches until the new one is complete); returns how many."""
    index = make_index(settings)
    with session_factory(settings.database_url)() as session:
        if pending_only:
            return _index_pending(session, index)
        return _rebuild(session, index)


def _pages(
    session: Session, states: Sequence[RowState], *, changed_since: datetime | None = None
) -> Iterator[list[Document]]:
    """The documents in these states (changed since a time), a page at a time in ID order."""
    last_id = 0
    while True:
        where = [Document.state.in_([s.value for s in states]), Document.id > last_id]
        if changed_since is not None:
            where.append(Document.updated_at >= changed_since)
        page = list(
            session.scalars(select(Document).where(*where).order_by(Document.id).limit(PAGE))
        )
        if not page:
            return
        last_id = page[-1].id  # read now: the caller may expunge the page
        yield page


def _index_pending(session: Session, index: SearchIndex) -> int:
    count = 0
    for page in _pages(session, [RowState.PENDING_INDEX]):
        index.upsert(search_documents(session, page))
        _mark_indexed(session, page)
        count += len(page)
    return count


def _rebuild(session: Session, index: SearchIndex) -> int:
    started = utcnow() - CLOCK_MARGIN
    pending: list[int] = []

    def documents() -> Iterator[SearchDocument]:
        # One page of rows and their search documents in memory at a time.
        for page in _pages(session, INDEXABLE):
            pending.extend(d.id for d in page if d.state == RowState.PENDING_INDEX)
            yield from search_documents(session, page)
            # Ends the read transaction too: no snapshot (and no SQLite WAL) held all rebuild.
            session.commit()
            session.expunge_all()

    count = index.rebuild(documents())
    _mark_pending_indexed(session, pending)
    _catch_up(session, index, started)
    return count


def _catch_up(session: Session, index: SearchIndex, since: datetime) -> None:
    """Another process's write while the rebuild ran went to the old index, which the swap
    threw away; and a document read before it was changed or destroyed went into the new one
    as it was. So what changed since the rebuild began is written again and what was destroyed
    since is deleted: a destroyed record must not come back to search."""
    session.commit()  # a fresh snapshot, with every commit made while the rebuild ran
    for page in _pages(session, INDEXABLE, changed_since=since):
        index.upsert(search_documents(session, page))
        session.expunge_all()
    destroyed = list(
        session.scalars(
            select(DestructionRecord.document_id).where(DestructionRecord.destroyed_at >= since)
        )
    )
    for start in range(0, len(destroyed), IN_LIST_MAX):
        index.delete(destroyed[start : start + IN_LIST_MAX])


def _mark_pending_indexed(session: Session, pending: Sequence[int]) -> None:
    """Only once the new index is live: a failed rebuild leaves these waiting, as they were."""
    for start in range(0, len(pending), IN_LIST_MAX):
        chunk = pending[start : start + IN_LIST_MAX]
        _mark_indexed(
            session,
            list(
                session.scalars(
                    select(Document).where(
                        Document.id.in_(chunk), Document.state == RowState.PENDING_INDEX
                    )
                )
            ),
        )


def _mark_indexed(session: Session, documents: Sequence[Document]) -> None:
    for document in documents:
        document.state = RowState.INDEXED
        ledger.sync_document(session, document.batch, document, utcnow())
    session.commit()
    session.expunge_all()
