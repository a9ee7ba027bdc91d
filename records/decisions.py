"""The exception queue's decisions: link a document to a person, confirm its type, or mark it
not needed. Each is audited, commits, and re-indexes the document from the catalog.

The next load round keeps these decisions: automatic linking only adds links (never removes a
manual one), a resolved exception is not reopened, and a confirmed type is not reclassified.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog import documents as docs
from catalog.access import family_of
from catalog.db import write_first
from catalog.matching import add_training_pair, forget_training_pair, resolve_legacy_ids
from catalog.models import Document, DocumentLink, ExceptionItem, Person
from catalog.models_matching import LegacyIdResolution
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.states import RowState
from domain.vocabulary import DOC_TYPES, TYPE_UNCERTAIN
from indexer.base import SearchIndex
from indexer.documents import search_document
from records import queue
from records.access import QUEUE_ROLES, Caller, check_document, require_role
from records.restrict import reindex_family

LINKED_TO = "linked to "  # an exception's resolution when a reviewer linked its document
MIN_UNDO_REASON = 10


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
    # The read above may be stale by now (another thread committed: the upload runner, the
    # webhook sender), and SQLite would refuse this write: begin it as a writer.
    write_first(session)
    document.state, document.updated_at = RowState.INDEXED, utcnow()
    session.commit()


def _link_document(
    session: Session,
    *,
    caller: Caller,
    item: ExceptionItem,
    document: Document,
    person_id: str,
    note: str,
    bulk: str = "",
) -> int:
    """Put one exception's document (and its attachments) on the person and close its
    exceptions; audited. Returns how many exceptions closed."""
    now = utcnow()
    from_candidates = person_id in {str(c) for c in item.candidates}
    reason = f"linked by {caller.user_id} from the exception queue ({item.kind})"
    if bulk:
        reason += f", with every open document of legacy ID {bulk}"
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
        session, document.id, kinds=None, resolution=f"{LINKED_TO}{person_id}", now=now
    )
    # A confirmed match the matcher learns from (its fields read from the text when it trains).
    add_training_pair(
        session,
        document_id=document.id,
        person_id=person_id,
        source="reviewer",
        fields={},
        now=now,
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
            **({"bulk_legacy_id": bulk} if bulk else {}),
        },
    )
    return closed


def _person(session: Session, person_id: str) -> str:
    person_id = person_id.strip()
    if not person_id:
        raise InvalidInput("choose a person to link the document to")
    if session.get(Person, person_id) is None:
        raise InvalidInput(f"person {person_id!r} not found: choose one the finder lists")
    return person_id


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
    person_id = _person(session, person_id)
    document = docs.get_document(session, item.document_id)
    closed = _link_document(
        session, caller=caller, item=item, document=document, person_id=person_id, note=note
    )
    # An unknown legacy ID resolved once links its documents in later rounds (workers/link.py).
    resolve_legacy_ids(session, document, person_id, decided_by=caller.user_id, now=utcnow())
    _reindex(session, index, document)
    reindex_family(session, index, document.id)
    return {"document_id": document.id, "person_id": person_id, "resolved": closed}


def link_legacy_id(
    session: Session,
    index: SearchIndex,
    *,
    caller: Caller,
    exception_id: int,
    person_id: str,
    note: str = "",
) -> dict[str, object]:
    """One decision for a legacy ID: every open exception whose document names the same one
    legacy person ID (under the same source system) as this exception's goes on the person,
    and the answer is remembered (catalog.models_matching.LegacyIdResolution), so later
    rounds link that ID's documents as if the crosswalk said so."""
    require_role(session, caller, QUEUE_ROLES, "linking from the exception queue")
    item = _open_item(session, exception_id)
    person_id = _person(session, person_id)
    document = docs.get_document(session, item.document_id)
    ids = queue.legacy_ids_of(document)
    if len(ids) != 1:
        raise InvalidInput(
            f"document {document.id} names {len(ids) or 'no'} legacy person IDs: "
            "link it alone, not by its legacy ID"
        )
    legacy = f"{document.source_system.strip().upper()}:{ids[0]}"
    targets = queue.open_with_legacy_id(session, document.source_system, ids[0])
    done: set[int] = set()
    closed = 0
    for target_item, target in targets:
        if target.id in done or target_item.status != "open":
            continue  # a document's other kinds closed with its first
        closed += _link_document(
            session,
            caller=caller,
            item=target_item,
            document=target,
            person_id=person_id,
            note=note,
            bulk=legacy,
        )
        done.add(target.id)
    remembered = resolve_legacy_ids(
        session, document, person_id, decided_by=caller.user_id, now=utcnow()
    )
    audit.record(
        session,
        actor=caller.user_id,
        action="bulk_link",
        target_type="legacy_id",
        target_id=legacy,
        person_ids=[person_id],
        on_behalf_of=caller.on_behalf_of,
        why=note.strip(),
        detail={"documents": sorted(done), "remembered": remembered},
    )
    session.commit()
    for target_id in sorted(done):
        target = docs.get_document(session, target_id)
        _reindex(session, index, target)
        reindex_family(session, index, target_id)
    return {
        "legacy_id": legacy,
        "person_id": person_id,
        "documents": sorted(done),
        "resolved": closed,
        "remembered": bool(remembered),
    }


def undo(
    session: Session, index: SearchIndex, *, caller: Caller, exception_id: int, reason: str
) -> dict[str, object]:
    """Take back a decision on an exception: a link is removed (with its attachments' links
    and the legacy ID's remembered resolution, if this decision made one) and the document's
    exceptions it closed open again; a "not needed" opens again. Audited with the reason; the
    decision can be made again, or differently."""
    require_role(session, caller, QUEUE_ROLES, "undoing an exception queue decision")
    if len(reason.strip()) < MIN_UNDO_REASON:
        raise InvalidInput(f"say why the decision is undone (at least {MIN_UNDO_REASON} letters)")
    item = session.get(ExceptionItem, exception_id)
    if item is None:
        raise NotFound(f"exception {exception_id} not found")
    if item.status == "open":
        raise Conflict(f"exception {exception_id} is open: there is no decision to undo")
    document = docs.get_document(session, item.document_id)
    person_id = item.resolution.removeprefix(LINKED_TO) if item.status == "resolved" else ""
    if item.status == "resolved" and not item.resolution.startswith(LINKED_TO):
        raise Conflict(f"exception {exception_id} was closed by a load ({item.resolution})")
    removed: list[int] = []
    forgotten = False
    if person_id:
        family = sorted(family_of(session, [document.id]))
        for link in session.scalars(
            select(DocumentLink).where(
                DocumentLink.document_id.in_(family),
                DocumentLink.person_id == person_id,
                DocumentLink.method.in_(("manual", "parent")),
            )
        ):
            removed.append(link.document_id)
            session.delete(link)
        forgotten = _forget_resolution(session, document, person_id)
        forget_training_pair(session, document.id, person_id)
        reopened = [
            i
            for i in session.scalars(
                select(ExceptionItem).where(
                    ExceptionItem.document_id == document.id,
                    ExceptionItem.resolution == item.resolution,
                )
            )
        ]
    else:
        reopened = [item]
    for each in reopened:
        each.status, each.resolution, each.resolved_at = "open", "", None
    audit.record(
        session,
        actor=caller.user_id,
        action="decision_undone",
        target_type="document",
        target_id=str(document.id),
        person_ids=[person_id] if person_id else [],
        on_behalf_of=caller.on_behalf_of,
        why=reason.strip(),
        detail={
            "exception_id": item.id,
            "unlinked": sorted(removed),
            "reopened": sorted(i.id for i in reopened),
            "resolution_forgotten": forgotten,
        },
    )
    _reindex(session, index, document)
    reindex_family(session, index, document.id)
    return {
        "exception_id": item.id,
        "document_id": document.id,
        "unlinked_from": person_id,
        "reopened": len(reopened),
    }


def _forget_resolution(session: Session, document: Document, person_id: str) -> bool:
    """Drop the remembered answer for the document's legacy ID if it names this person."""
    ids = queue.legacy_ids_of(document)
    if len(ids) != 1:
        return False
    row = session.scalar(
        select(LegacyIdResolution).where(
            LegacyIdResolution.system == document.source_system.strip().upper(),
            LegacyIdResolution.legacy_id == ids[0],
            LegacyIdResolution.person_id == person_id,
        )
    )
    if row is None:
        return False
    session.delete(row)
    return True


def confirm_type(
    session: Session, index: SearchIndex, *, caller: Caller, document_id: int, doc_type: str
) -> dict[str, object]:
    """Confirm (or correct) a document's type: later rounds keep it, and retention may act.

    Only on a document the caller may read: adoption is a restricted class by its type, so
    retyping a document it hides would open it to the one who retyped it."""
    require_role(session, caller, QUEUE_ROLES, "confirming a document type")
    if doc_type not in DOC_TYPES:
        raise InvalidInput(f"unknown document type {doc_type!r}")
    check_document(session, caller, document_id)  # else not found, as if missing (audited)
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
