"""The one place a catalog row becomes a search document."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.access import document_restrictions, restriction_tags
from catalog.documents import get_text, linked_person_ids
from catalog.models import Document
from indexer.base import SearchDocument

# Documents on nobody are the migration team's to see (the exception queue).
MIGRATION_ONLY = "migration"


def search_document(session: Session, document: Document) -> SearchDocument:
    person_ids = tuple(linked_person_ids(session, document.id))
    # Restricted classes (adoption, staff, sensitive) are tagged so a search can exclude them
    # inside the query for callers without a grant (records/access.py).
    tags = restriction_tags(document_restrictions(session, document))
    return SearchDocument(
        document_id=document.id,
        title=document.title,
        text=get_text(session, document.id),
        source_system=document.source_system,
        source_document_id=document.source_document_id,
        person_ids=person_ids,
        doc_type=document.doc_type,
        document_date=document.document_date,
        access_tags=(*tags, *(() if person_ids else (MIGRATION_ONLY,))),
    )
