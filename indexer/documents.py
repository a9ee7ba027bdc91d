"""The one place a catalog row becomes a search document."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import family_of, restriction_tags, restrictions_for
from catalog.db import IN_LIST_MAX
from catalog.documents import get_text
from catalog.models import Document, DocumentLink
from core.states import RowState
from indexer.base import SearchDocument

# Documents on nobody are the migration team's to see (the exception queue).
MIGRATION_ONLY = "migration"


def search_document(session: Session, document: Document) -> SearchDocument:
    return search_documents(session, [document])[0]


def with_indexed_family(session: Session, documents: Sequence[Document]) -> list[Document]:
    """The documents and the attachments below them that are in the index already. An
    attachment's access tags come from its email (catalog.access.restrictions_for), so an email
    written to the index again (a new version, a new type) takes its indexed attachments along,
    though their own bytes, and so the loader's reasons to touch them, have not changed."""
    ids = {d.id for d in documents}
    below = sorted(family_of(session, ids) - ids)
    kin = [
        d
        for chunk in (below[i : i + IN_LIST_MAX] for i in range(0, len(below), IN_LIST_MAX))
        for d in session.scalars(
            select(Document).where(Document.id.in_(chunk), Document.state == RowState.INDEXED)
        )
    ]
    return [*documents, *kin]


def search_documents(session: Session, documents: Sequence[Document]) -> list[SearchDocument]:
    """Search documents for a batch, with one query for the links and one for restrictions."""
    ids = [d.id for d in documents]
    people: dict[int, list[str]] = {i: [] for i in ids}
    for document_id, person_id in session.execute(
        select(DocumentLink.document_id, DocumentLink.person_id)
        .where(DocumentLink.document_id.in_(ids))
        .order_by(DocumentLink.person_id)
    ):
        people[document_id].append(person_id)
    # Restricted classes (adoption, staff, sensitive) are tagged so a search can exclude them
    # inside the query for callers without a grant (records/access.py).
    restricted = restrictions_for(session, documents)
    return [
        SearchDocument(
            document_id=d.id,
            title=d.title,
            text=get_text(session, d.id),
            source_system=d.source_system,
            source_document_id=d.source_document_id,
            person_ids=tuple(people[d.id]),
            doc_type=d.doc_type,
            document_date=d.document_date,
            access_tags=(
                *restriction_tags(restricted[d.id]),
                *(() if people[d.id] else (MIGRATION_ONLY,)),
            ),
        )
        for d in documents
    ]
