"""Rebuild the search index from the catalog (the catalog is the truth)."""

from __future__ import annotations

from sqlalchemy import select

from catalog import ledger
from catalog.db import session_factory
from catalog.models import Document
from core.settings import Settings
from core.states import RowState
from indexer.documents import search_documents
from indexer.factory import make_index
from workers.pipeline import utcnow

PAGE = 500


def reindex_catalog(settings: Settings, *, pending_only: bool = False) -> int:
    """Index documents waiting for the index (or every indexable one); returns how many."""
    index = make_index(settings)
    states = (
        [RowState.PENDING_INDEX] if pending_only else [RowState.PENDING_INDEX, RowState.INDEXED]
    )
    if not pending_only:
        index.clear()
    count, last_id = 0, 0
    with session_factory(settings.database_url)() as session:
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
                return count
            index.upsert(search_documents(session, page))
            for document in page:
                document.state = RowState.INDEXED
                ledger.sync_document(session, document.batch, document, utcnow())
            session.commit()
            session.expunge_all()
            count += len(page)
            last_id = page[-1].id
