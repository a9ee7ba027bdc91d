"""A case management system's metadata corrections to a document (PATCH /api/documents/{id},
issue 16): each change kept as a metadata version (field -> [before, after]) beside a
corrected round's (catalog/models_rounds.py), audited with the caller and re-indexed."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalog import audit
from catalog import documents as docs
from catalog.db import write_first
from catalog.models import Document
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.states import DateSource, RowState
from domain.vocabulary import DOC_TYPES
from indexer.base import SearchIndex
from indexer.documents import search_documents, with_indexed_family
from records.access import Caller, check_document

# Fields a correction may change, and how each is read from the document.
FIELDS = ("title", "doc_type", "document_date", "source_reference", "author")


def _current(document: Document) -> dict[str, Any]:
    cms = document.extra.get("cms", {}) if isinstance(document.extra, dict) else {}
    return {
        "title": document.title,
        "doc_type": document.doc_type,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "source_reference": cms.get("source_reference", ""),
        "author": cms.get("author", ""),
    }


def _apply(document: Document, field: str, value: Any, who: str) -> None:
    if field == "title":
        document.title = str(value)
    elif field == "doc_type":
        document.doc_type, document.type_confirmed, document.type_confidence = value, True, 1.0
        document.type_reason = f"corrected by {who}"
    elif field == "document_date":
        document.document_date = date.fromisoformat(value) if value else None
        # A date someone gave is the record's own, as a manifest's is.
        document.date_source = DateSource.MANIFEST if value else DateSource.NONE
    else:
        cms = dict(document.extra.get("cms", {}))
        cms[field] = value
        document.extra = {**document.extra, "cms": cms}


def correct_metadata(
    session: Session,
    index: SearchIndex,
    *,
    caller: Caller,
    document_id: int,
    changes: dict[str, Any],
    reason: str,
) -> dict[str, Any]:
    """Apply the changes that differ from what the document says now; none: nothing recorded.
    Returns the version made (or the current one) and the fields it changed."""
    people = check_document(session, caller, document_id)
    document = docs.get_document(session, document_id)
    if not RowState(document.state).terminal:
        raise Conflict(f"document {document_id} is still being processed; correct it once indexed")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"cannot correct {', '.join(unknown)}; fields: {', '.join(FIELDS)}")
    if "doc_type" in changes and changes["doc_type"] not in DOC_TYPES:
        raise InvalidInput(f"unknown document type {changes['doc_type']!r}")
    before = _current(document)
    differ = {f: [before[f], v] for f, v in changes.items() if before[f] != v}
    latest = docs.latest_metadata_versions(session, [document_id]).get(document_id, 1)
    if not differ:
        return {"document_id": document_id, "metadata_version": latest, "changed": []}
    now = utcnow()
    for field, (_, value) in differ.items():
        _apply(document, field, value, caller.user_id)
    document.updated_at = now
    version = latest + 1
    docs.add_metadata_versions(
        session,
        [
            docs.metadata_version_row(
                document_id,
                version,
                batch=f"api:{caller.user_id}",
                reason=reason or f"corrected by {caller.user_id}",
                changes=differ,
                now=now,
            )
        ],
    )
    audit.record(
        session,
        actor=caller.user_id,
        action="metadata_corrected",
        target_type="document",
        target_id=str(document_id),
        person_ids=people,
        on_behalf_of=caller.on_behalf_of,
        why=reason,
        detail={"version": version, "changes": differ},
    )
    _reindex(session, index, document)
    return {"document_id": document_id, "metadata_version": version, "changed": sorted(differ)}


def _reindex(session: Session, index: SearchIndex, document: Document) -> None:
    """Catalog first, index after (records.decisions does the same for a confirmed type)."""
    if document.state != RowState.INDEXED:
        session.commit()
        return
    document.state = RowState.PENDING_INDEX
    session.commit()
    index.upsert(search_documents(session, with_indexed_family(session, [document])))
    write_first(session)  # the read above may be stale by now (records.decisions._reindex)
    document.state, document.updated_at = RowState.INDEXED, utcnow()
    session.commit()
