"""Rebuild the search index from the catalog (the catalog is the truth)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import ledger
from catalog.db import IN_LIST_MAX, session_factory
from catalog.models import Document
from core.settings import Settings
from core.states import RowState
from indexer.base import SearchDocument, SearchIndex
from indexer.documents import search_documents
from indexer.factory import make_index
from workers.pipeline import utcnow

PAGE = 500


def reindex_catalog(settings: Settings, *, pending_only: bool = False) -> int:
    """Index documents waiting for the index, or rebuild it from every indexable one (the old
    index answers searches until the new one is complete); returns how many."""
    index = make_index(settings)
    with session_factory(settings.database_url)() as session:
        if pending_only:
            return _index_pending(session, index)
        return _rebuild(session, index)


def _pages(session: Session, states: Sequence[RowState]) -> Iterator[list[Document]]:
    """The documents in these states, a page at a time in ID order."""
    last_id = 0
    while True:
        page = list(
            session.scalars(
                select(Document)
                .where(Document.state.in_([s.value for s in states]), Document.id > last_id)
                .order_by(Document.id)
                .limit(PAGE)
            )
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
    pending: list[int] = []

    def documents() -> Iterator[SearchDocument]:
        # One page of rows and their search documents in memory at a time.
        for page in _pages(session, [RowState.PENDING_INDEX, RowState.INDEXED]):
            pending.extend(d.id for d in page if d.state == RowState.PENDING_INDEX)
            yield from search_documents(session, page)
            session.expunge_all()

    count = index.rebuild(documents())
    # Only once the new index is live: a failed rebuild leaves these waiting, as they were.
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
    return count


def _mark_indexed(session: Session, documents: Sequence[Document]) -> None:
    for document in documents:
        document.state = RowState.INDEXED
        ledger.sync_document(session, document.batch, document, utcnow())
    session.commit()
    session.expunge_all()
