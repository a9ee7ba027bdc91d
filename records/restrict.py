"""Marking a person or document as a restricted class (or lifting the mark), and re-indexing
what that changes: the document or the person's documents, with every attachment below them.

The restriction must reach the search index at once: until the documents carry their new
access tag, a search by a caller without the grant would still find them. So a new mark is
written to the index before the catalog commits (a failure leaves the index stricter, never
looser), and a lifted one only after the catalog has committed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit
from catalog import documents as docs
from catalog.db import IN_LIST_MAX
from catalog.models import Document, DocumentLink, Person
from core.clock import utcnow
from core.errors import InvalidInput, NotFound
from core.settings import Settings
from indexer.base import SearchIndex
from indexer.documents import search_document

MIN_REASON = 10  # lifting a restriction must say why, as marking one must


def _document_id(target_id: str) -> int:
    if not target_id.isdigit() or len(target_id) > 18:
        raise InvalidInput(f"a document ID is a number, not {target_id[:40]!r}")
    return int(target_id)


def _affected(session: Session, target_type: str, target_id: str) -> tuple[set[int], list[str]]:
    """The documents whose access a mark on this target changes (their attachments included),
    and the people they concern."""
    if target_type == "person":
        if session.get(Person, target_id) is None:
            raise NotFound(f"person {target_id!r} not found")
        ids = session.scalars(
            select(DocumentLink.document_id).where(DocumentLink.person_id == target_id)
        )
        return rows.family_of(session, ids), [target_id]
    if target_type != "document":
        raise InvalidInput("mark a person or a document")
    document = docs.get_document(session, _document_id(target_id))
    return rows.family_of(session, [document.id]), docs.linked_person_ids(session, document.id)


def reindex(session: Session, index: SearchIndex, ids: set[int]) -> int:
    """Write these documents to the search index as the catalog (this session) now has them."""
    wanted = sorted(ids)
    documents = [
        d
        for chunk in (wanted[i : i + IN_LIST_MAX] for i in range(0, len(wanted), IN_LIST_MAX))
        for d in session.scalars(select(Document).where(Document.id.in_(chunk)))
    ]
    index.upsert(search_document(session, d) for d in documents)
    return len(documents)


def reindex_family(session: Session, index: SearchIndex, document_id: int) -> int:
    """Re-index a document's attachments (and theirs) after its type or marks changed: they
    take its restrictions (catalog.access.restrictions_for)."""
    return reindex(session, index, rows.family_of(session, [document_id]) - {document_id})


def _index(settings: Settings) -> SearchIndex:
    from indexer.factory import make_index

    return make_index(settings)


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
    """Mark the target restricted and re-index its documents; returns how many."""
    ids, people = _affected(session, target_type, target_id)
    rows.add_restriction(
        session,
        target_type=target_type,
        target_id=target_id,
        restriction=restriction,
        reason=reason,
        actor=actor,
        now=utcnow(),
    )
    audit.record(
        session,
        actor=actor,
        action="restriction_change",
        target_type=target_type,
        target_id=target_id,
        person_ids=people,
        why=reason,
        detail={"restriction": restriction, "change": "added"},
    )
    session.flush()
    return reindex(session, _index(settings), ids)


def lift_restriction(
    session: Session,
    settings: Settings,
    *,
    target_type: str,
    target_id: str,
    restriction: str,
    reason: str,
    actor: str,
) -> int:
    """Remove the target's mark (with a reason), commit, then re-index its documents.

    A document restricted by its type (adoption) stays so: that is no mark to lift."""
    if len(reason.strip()) < MIN_REASON:
        raise InvalidInput(
            f"lifting a restriction needs a reason of at least {MIN_REASON} characters"
        )
    ids, people = _affected(session, target_type, target_id)
    if not rows.remove_restriction(
        session, target_type=target_type, target_id=target_id, restriction=restriction
    ):
        raise NotFound(f"{target_type} {target_id} is not marked {restriction}")
    audit.record(
        session,
        actor=actor,
        action="restriction_change",
        target_type=target_type,
        target_id=target_id,
        person_ids=people,
        why=reason.strip(),
        detail={"restriction": restriction, "change": "removed"},
    )
    session.commit()
    return reindex(session, _index(settings), ids)
