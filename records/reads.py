"""What people read through the faces (API, CLI, web): each read is written to the audit log.

The faces call these and nothing lower, so no route can forget the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog import documents as docs
from catalog.models import Document, DocumentLink, ExceptionItem, Person
from core.errors import NotFound
from indexer.base import SearchIndex, SearchQuery, SearchResults


def search(
    session: Session, index: SearchIndex, query: SearchQuery, *, actor: str
) -> SearchResults:
    results = index.search(query)
    audit.record(
        session,
        actor=actor,
        action="search",
        target_type="query",
        target_id=query.text[:300],
        person_ids=query.person_ids,
        detail={
            "filters": {
                "person_ids": list(query.person_ids),
                "doc_types": list(query.doc_types),
                "source_systems": list(query.source_systems),
                "date_from": str(query.date_from or ""),
                "date_to": str(query.date_to or ""),
            },
            "total": results.total,
        },
    )
    return results


def document_metadata(session: Session, document_id: int, *, actor: str) -> dict[str, Any]:
    """A document's catalog record: how it was classified and linked, and why."""
    document = docs.get_document(session, document_id)
    links = docs.links_of(session, document_id)
    person_ids = [link.person_id for link in links]
    audit.record(
        session,
        actor=actor,
        action="view",
        target_type="document",
        target_id=str(document_id),
        person_ids=person_ids,
    )
    return {
        "document_id": document.id,
        "source_system": document.source_system,
        "source_document_id": document.source_document_id,
        "parent_id": document.parent_id,
        "version": document.version,
        "title": document.title,
        "original_name": document.original_name,
        "mime": document.mime,
        "extension_mismatch": document.extension_mismatch,
        "sha256": document.sha256,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "date_source": document.date_source,
        "doc_type": document.doc_type,
        "type_confidence": document.type_confidence,
        "type_reason": document.type_reason,
        "legacy_doc_type": document.legacy_doc_type,
        "legacy_person_ids": document.legacy_person_ids,
        "state": document.state,
        "reason": document.reason,
        "detail": document.detail,
        "pages": document.pages,
        "ocr_pages": document.ocr_pages,
        "engine": document.engine,
        "person_ids": person_ids,
        "links": [
            {"person_id": link.person_id, "method": link.method, "reason": link.reason}
            for link in links
        ],
        "exceptions": docs.open_exception_kinds(session, document_id),
        "attachments": [child.id for child in docs.children_of(session, document_id)],
        "metadata": document.extra,
    }


def document_text(session: Session, document_id: int, *, actor: str) -> str:
    docs.get_document(session, document_id)
    audit.record(
        session,
        actor=actor,
        action="view_text",
        target_type="document",
        target_id=str(document_id),
        person_ids=docs.linked_person_ids(session, document_id),
    )
    return docs.get_text(session, document_id)


def document_content(session: Session, document_id: int, *, actor: str) -> Document:
    """The document whose original file the caller is about to download (audited first)."""
    document = docs.get_document(session, document_id)
    if document.sha256 is None:
        raise NotFound(f"document {document_id} has no stored content")
    audit.record(
        session,
        actor=actor,
        action="download",
        target_type="document",
        target_id=str(document_id),
        person_ids=docs.linked_person_ids(session, document_id),
    )
    return document


def chronology(session: Session, person_id: str, *, actor: str) -> dict[str, Any]:
    """A person's documents, newest first, with type and date."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id!r} not found")
    rows: Sequence[Document] = session.scalars(
        select(Document)
        .join(DocumentLink, DocumentLink.document_id == Document.id)
        .where(DocumentLink.person_id == person_id)
        .order_by(Document.document_date.desc().nulls_last(), Document.id.desc())
    ).all()
    audit.record(
        session,
        actor=actor,
        action="view_chronology",
        target_type="person",
        target_id=person_id,
        person_ids=[person_id],
    )
    return {
        "person": {
            "person_id": person.person_id,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "target_system": person.target_system,
            "service": person.service,
        },
        "documents": [
            {
                "document_id": d.id,
                "document_date": d.document_date.isoformat() if d.document_date else None,
                "doc_type": d.doc_type,
                "title": d.title,
                "state": d.state,
            }
            for d in rows
        ],
    }


def exception_queue(
    session: Session, *, actor: str, kind: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Open exceptions, oldest first, for the migration team."""
    query = (
        select(ExceptionItem, Document)
        .join(Document, Document.id == ExceptionItem.document_id)
        .where(ExceptionItem.status == "open")
        .order_by(ExceptionItem.id)
        .limit(limit)
        .offset(offset)
    )
    if kind:
        query = query.where(ExceptionItem.kind == kind)
    items = session.execute(query).all()
    audit.record(
        session, actor=actor, action="view_exceptions", target_type="queue", target_id=kind or ""
    )
    return [
        {
            "exception_id": item.id,
            "kind": item.kind,
            "detail": item.detail,
            "candidates": item.candidates,
            "document_id": document.id,
            "source_system": document.source_system,
            "source_document_id": document.source_document_id,
            "title": document.title,
            "state": document.state,
        }
        for item, document in items
    ]


def search_results_json(results: SearchResults) -> dict[str, Any]:
    hits = []
    for hit in results.hits:
        item = asdict(hit)
        item["document_date"] = hit.document_date.isoformat() if hit.document_date else None
        item["person_ids"] = list(hit.person_ids)
        item["highlights"] = list(hit.highlights)
        hits.append(item)
    return {"total": results.total, "hits": hits, "facets": results.facets}
