"""The exception queue's decisions: link a document to a person, confirm its type, or mark it
not needed. Each is audited, commits, and re-indexes the document from the catalog.

The next load round keeps these decisions: automatic linking only adds links (never removes a
manual one), a resolved exception is not reopened, and a confirmed type is not reclassified.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog import audit
from catalog import documents as docs
from catalog.access import family_of
from catalog.models import Document, ExceptionItem, Person
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.states import RowState
from domain.vocabulary import DOC_TYPES, TYPE_UNCERTAIN
from indexer.base import SearchIndex
from indexer.documents import search_document
from records.access import QUEUE_ROLES, Caller, require_role
from records.restrict import reindex_family


def _open_item(session: Session, exception_id: int) -> ExceptionItem:
    item = session.get(ExceptionItem, exception_id)
    if item is None:
        raise NotFound(f"exception {exception_id} not found")
    if item.status != "open":
        raise Conflict(f"exception {exception_id} is already {item.status}: {item.resolution}")
    return item


def _reindex(session: Session, index: SearchIndex, document: Document) -> None:
    """Catalog first, index after: a failed index write leaves the document pending for
    `escr reindex --pending`, never an index ahead of the catalog."""
    document.state = RowState.PENDING_INDEX
    session.commit()
    index.upsert([search_document(session, document)])
    document.state, document.updated_at = RowState.INDEXED, utcnow()
    session.commit()


def link_to_person(
    session: Session,
    index: SearchIndex,
    *,
    caller: Caller,
    exception_id: int,
    person_id: str,
    note: str = "",
) -> dict[str, object]:
    """Put the exception's document on a person's record by hand, and close the exception."""
    require_role(session, caller, QUEUE_ROLES, "linking from the exception queue")
    item = _open_item(session, exception_id)
    if session.get(Person, person_id) is None:
        raise InvalidInput(f"person {person_id!r} not found")
    document = docs.get_document(session, item.document_id)
    now = utcnow()
    from_candidates = person_id in {str(c) for c in item.candidates}
    reason = f"linked by {caller.user_id} from the exception queue ({item.kind})"
    if note.strip():
        reason += f": {note.strip()}"
    docs.add_link(
        session,
        document_id=document.id,
        person_id=person_id,
        method="manual",
        reason=reason,
        actor=caller.user_id,
        now=now,
    )
    # Its attachments go where it goes, as the loader puts them on their email's people.
    children = sorted(family_of(session, [document.id]) - {document.id})
    for child_id in children:
        docs.add_link(
            session,
            document_id=child_id,
            person_id=person_id,
            method="parent",
            reason=f"attachment of document {document.id}",
            actor=caller.user_id,
            now=now,
        )
    closed = docs.resolve_exceptions(
        session, document.id, kinds=None, resolution=f"linked to {person_id}", now=now
    )
    audit.record(
        session,
        actor=caller.user_id,
        action="link_change",
        target_type="document",
        target_id=str(document.id),
        person_ids=[person_id],
        on_behalf_of=caller.on_behalf_of,
        why=note.strip(),
        detail={
            "exception_id": item.id,
            "kind": item.kind,
            "from_candidates": from_candidates,
            "attachments": children,
        },
    )
    _reindex(session, index, document)
    reindex_family(session, index, document.id)
    return {"document_id": document.id, "person_id": person_id, "resolved": closed}


def confirm_type(
    session: Session, index: SearchIndex, *, caller: Caller, document_id: int, doc_type: str
) -> dict[str, object]:
    """Confirm (or correct) a document's type: later rounds keep it, and retention may act."""
    require_role(session, caller, QUEUE_ROLES, "confirming a document type")
    if doc_type not in DOC_TYPES:
        raise InvalidInput(f"unknown document type {doc_type!r}")
    document = docs.get_document(session, document_id)
    before = document.doc_type
    document.doc_type, document.type_confirmed, document.type_confidence = doc_type, True, 1.0
    document.type_reason = f"confirmed by {caller.user_id} (was {before or 'none'})"
    document.updated_at = utcnow()
    # The learned model's doubt (decision 0032) is answered: its queue item closes.
    docs.resolve_exceptions(
        session,
        document.id,
        kinds=[TYPE_UNCERTAIN],
        resolution=f"type confirmed as {doc_type} by {caller.user_id}",
        now=document.updated_at,
    )
    audit.record(
        session,
        actor=caller.user_id,
        action="classification_change",
        target_type="document",
        target_id=str(document.id),
        person_ids=docs.linked_person_ids(session, document.id),
        on_behalf_of=caller.on_behalf_of,
        detail={"from": before, "to": doc_type},
    )
    _reindex(session, index, document)
    # Its attachments take its type's restriction (an adoption email's attachments are adoption).
    reindex_family(session, index, document.id)
    return {"document_id": document.id, "doc_type": doc_type}


def mark_not_needed(
    session: Session, index: SearchIndex, *, caller: Caller, exception_id: int, note: str
) -> dict[str, object]:
    """Close an exception as needing no link (e.g. a blank page or a compliments slip)."""
    require_role(session, caller, QUEUE_ROLES, "closing exceptions")
    if len(note.strip()) < 3:
        raise InvalidInput("say why the document is not needed")
    item = _open_item(session, exception_id)
    now = utcnow()
    item.status, item.resolution, item.resolved_at = "not_needed", note.strip(), now
    audit.record(
        session,
        actor=caller.user_id,
        action="exception_resolved",
        target_type="document",
        target_id=str(item.document_id),
        on_behalf_of=caller.on_behalf_of,
        why=note.strip(),
        detail={"exception_id": item.id, "kind": item.kind, "resolution": "not_needed"},
    )
    _reindex(session, index, docs.get_document(session, item.document_id))
    return {"exception_id": item.id, "status": item.status}
