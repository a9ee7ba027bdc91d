"""Marking a person or document as a restricted class, and re-indexing what that changes.

The restriction must reach the search index at once: until the documents carry their new
access tag, a search by a caller without the grant would still find them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit
from catalog import documents as docs
from catalog.models import Document, DocumentLink, Person
from core.errors import NotFound
from core.settings import Settings
from indexer.documents import search_document


def mark_restricted(
    session: Session,
    settings: Settings,
    *,
    target_type: str,
    target_id: str,
    restriction: str,
    reason: str,
    actor: str,
) -> int:
    """Mark the person or document; returns how many documents were re-indexed."""
    from indexer.factory import make_index

    if target_type == "person":
        if session.get(Person, target_id) is None:
            raise NotFound(f"person {target_id!r} not found")
        ids = list(
            session.scalars(
                select(DocumentLink.document_id).where(DocumentLink.person_id == target_id)
            )
        )
        people = [target_id]
    else:
        document = docs.get_document(session, int(target_id))
        ids, people = [document.id], docs.linked_person_ids(session, document.id)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows.add_restriction(
        session,
        target_type=target_type,
        target_id=target_id,
        restriction=restriction,
        reason=reason,
        actor=actor,
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action="restriction_change",
        target_type=target_type,
        target_id=target_id,
        person_ids=people,
        why=reason,
        detail={"restriction": restriction},
    )
    session.flush()
    documents = session.scalars(select(Document).where(Document.id.in_(ids))).all()
    make_index(settings).upsert(search_document(session, d) for d in documents)
    return len(documents)
