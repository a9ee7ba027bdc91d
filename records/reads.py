"""What people read through the faces (API, CLI, web): each read is checked, then audited.

The faces call these and nothing lower, so no route can forget the access check or the audit.
Every function takes the Caller (records/access.py); a search always carries its filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import access as access_rows
from catalog import audit, renditions
from catalog import documents as docs
from catalog.models import AuditEvent, Document, DocumentLink, LegacyId, Person
from catalog.models_person_events import PersonMerge
from catalog.models_renditions import Rendition
from catalog.models_retention import RetentionDecision
from core.clock import utcnow
from core.errors import NotFound
from domain.ocr import pages_to_review
from indexer.base import SearchIndex, SearchQuery, SearchResults
from records.access import (
    Caller,
    check_document,
    check_person,
    search_filter,
    visible_documents,
)


def _audit(
    session: Session,
    caller: Caller,
    action: str,
    target_type: str,
    target_id: str,
    person_ids: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return audit.record(
        session,
        actor=caller.user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        person_ids=person_ids,
        on_behalf_of=caller.on_behalf_of,
        why=caller.why(person_ids),
        detail=detail,
    )


def search(
    session: Session, index: SearchIndex, query: SearchQuery, *, caller: Caller
) -> SearchResults:
    """Search under the caller's access filter, which goes inside the index query."""
    filtered = search_filter(caller, query)
    results = index.search(filtered)
    _audit(
        session,
        caller,
        "search",
        "query",
        query.text[:300],
        query.person_ids,
        {
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


def document_metadata(session: Session, document_id: int, *, caller: Caller) -> dict[str, Any]:
    """A document's catalog record: how it was classified and linked, and why."""
    person_ids = check_document(session, caller, document_id)
    _audit(session, caller, "view", "document", str(document_id), person_ids)
    return _metadata_json(session, document_id, person_ids, caller)


# How long after a page view the viewer's fetch of the file counts as part of it: the
# browser asks at once; a later fetch is a read of its own.
VIEW_COVERS = timedelta(minutes=10)


def document_page(
    session: Session, document_id: int, *, caller: Caller
) -> tuple[dict[str, Any], str, int]:
    """What the web's document page shows (the record and its text), audited as one `view`;
    returns the event's ID too, which the page's viewer names when it fetches the file
    (document_content / document_rendition `view_id`), so one look is one event."""
    person_ids = check_document(session, caller, document_id)
    event = _audit(
        session, caller, "view", "document", str(document_id), person_ids, {"with": ["text"]}
    )
    meta = _metadata_json(session, document_id, person_ids, caller)
    return meta, docs.get_text(session, document_id), event.id


def _part_of_view(session: Session, caller: Caller, document_id: int, view_id: int | None) -> bool:
    """Whether `view_id` is this caller's page view of this document, moments ago: the
    viewer's fetch is then part of that one audited look, not another event."""
    if view_id is None:
        return False
    event = session.get(AuditEvent, view_id)
    return (
        event is not None
        and event.actor == caller.user_id
        and event.action == "view"
        and event.target_type == "document"
        and event.target_id == str(document_id)
        and event.at >= utcnow() - VIEW_COVERS
    )


def _metadata_json(
    session: Session, document_id: int, person_ids: list[str], caller: Caller
) -> dict[str, Any]:
    document = docs.get_document(session, document_id)
    links = docs.links_of(session, document_id)
    retention = session.get(RetentionDecision, document_id)
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
        "type_confirmed": document.type_confirmed,
        "legacy_doc_type": document.legacy_doc_type,
        "legacy_person_ids": document.legacy_person_ids,
        "state": document.state,
        "reason": document.reason,
        "detail": document.detail,
        "pages": document.pages,
        "ocr_pages": document.ocr_pages,
        "ocr_confidence": document.ocr_confidence,
        "ocr_needs_review": pages_to_review(document.ocr_page_confidence),
        "engine": document.engine,
        "person_ids": person_ids,
        "links": [
            {
                "person_id": link.person_id,
                "method": link.method,
                "reason": link.reason,
                "created_by": link.created_by,
            }
            for link in links
        ],
        "exceptions": docs.open_exception_kinds(session, document_id),
        # Only those the caller may see: a child can carry a restriction of its own.
        "attachments": [
            child.id
            for child in visible_documents(session, caller, docs.children_of(session, document_id))
        ],
        "restrictions": sorted(access_rows.document_restrictions(session, document)),
        "retention": None
        if retention is None
        else {
            "status": retention.status,
            "record_class": retention.record_class,
            "retain_until": retention.retain_until.isoformat() if retention.retain_until else None,
            "reason": retention.reason,
        },
        "metadata": document.extra,
        "rendition": renditions.summary(renditions.current(session, document)),
        "corrections": [
            {
                "version": correction.version,
                "batch": correction.batch,
                "reason": correction.reason,
                "changes": correction.changes,
                "at": correction.created_at.isoformat(timespec="seconds"),
            }
            for correction in docs.metadata_versions(session, document_id)
        ],
    }


def document_text(session: Session, document_id: int, *, caller: Caller) -> str:
    person_ids = check_document(session, caller, document_id)
    _audit(session, caller, "view_text", "document", str(document_id), person_ids)
    return docs.get_text(session, document_id)


def document_content(
    session: Session,
    document_id: int,
    *,
    caller: Caller,
    inline: bool = False,
    view_id: int | None = None,
) -> Document:
    """The document whose original file the caller is about to read (audited first, unless
    it is the file of the caller's page view `view_id`: document_page)."""
    person_ids = check_document(session, caller, document_id)
    document = docs.get_document(session, document_id)
    if document.sha256 is None:
        raise NotFound(f"document {document_id} has no stored content")
    # Shown in the viewer or saved as a file: both are reads of the record, told apart here.
    action = "view_content" if inline else "download"
    if not (inline and _part_of_view(session, caller, document_id, view_id)):
        _audit(session, caller, action, "document", str(document_id), person_ids)
    return document


class RenditionNotReady(NotFound):
    """The caller may see the document, but its readable PDF is not made (yet, or at all)."""


def document_rendition(
    session: Session, document_id: int, *, caller: Caller, view_id: int | None = None
) -> tuple[Document, Rendition]:
    """The document and its rendition the caller is about to read (audited first); the same
    access check as the original, so a document out of reach answers the same 404."""
    person_ids = check_document(session, caller, document_id)
    return rendition_read(session, caller, document_id, person_ids, view_id=view_id)


def rendition_read(
    session: Session,
    caller: Caller,
    document_id: int,
    person_ids: Sequence[str],
    *,
    view_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> tuple[Document, Rendition]:
    """A document's rendition read by a caller already let in (by document_rendition's access
    check, or by a subject access request): audited as `view_rendition` on `person_ids`,
    unless it is part of the page view `view_id` names."""
    document = docs.get_document(session, document_id)
    row = renditions.current(session, document) if document.sha256 is not None else None
    if row is None or row.sha256 is None:
        raise RenditionNotReady(_not_ready(document_id, row))
    if not _part_of_view(session, caller, document_id, view_id):
        _audit(session, caller, "view_rendition", "document", str(document_id), person_ids, detail)
    return document, row


def _not_ready(document_id: int, row: Rendition | None) -> str:
    if row is None:
        return f"document {document_id} has no rendition yet: it waits for the render stage"
    return f"document {document_id} has no rendition: it could not be made ({row.reason})"


def _person_json(session: Session, person: Person) -> dict[str, Any]:
    legacy = session.scalars(select(LegacyId).where(LegacyId.person_id == person.person_id))
    # A record the CMS merged away keeps no documents: where they went (decision 0038).
    merge = session.get(PersonMerge, person.person_id)
    return {
        "person_id": person.person_id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "target_system": person.target_system,
        "service": person.service,
        "nhs_number": person.nhs_number,
        "legacy_ids": [f"{row.system}:{row.legacy_id}" for row in legacy],
        "merged_into": merge.into_person_id if merge is not None else None,
    }


def chronology(
    session: Session,
    person_id: str,
    *,
    caller: Caller,
    doc_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """A person's documents, newest first; restricted ones only with the caller's grant.
    `date_from`/`date_to` keep the dated documents within them; `limit` and `offset` page
    what the filters leave (`total` counts it all)."""
    person = check_person(session, caller, person_id)
    query = (
        select(Document)
        .join(DocumentLink, DocumentLink.document_id == Document.id)
        .where(DocumentLink.person_id == person_id)
        .order_by(Document.document_date.desc().nulls_last(), Document.id.desc())
    )
    rows: Sequence[Document] = session.scalars(query).all()
    restricted = access_rows.restrictions_for(session, rows)
    # Counted before the type filter, so the filter's options show what the caller may see.
    visible = [d for d in rows if not restricted[d.id] - caller.grants]
    types: dict[str, int] = {}
    for d in visible:
        types[d.doc_type] = types.get(d.doc_type, 0) + 1
    shown = [
        d
        for d in visible
        if (not doc_type or d.doc_type == doc_type)
        and (date_from is None or (d.document_date is not None and d.document_date >= date_from))
        and (date_to is None or (d.document_date is not None and d.document_date <= date_to))
    ]
    total = len(shown)
    shown = shown[offset : None if limit is None else offset + limit]
    _audit(
        session,
        caller,
        "view_chronology",
        "person",
        person_id,
        [person_id],
        {"doc_type": doc_type or ""},
    )
    return {
        "person": _person_json(session, person),
        "types": dict(sorted(types.items())),
        "total": total,
        "documents": [
            {
                "document_id": d.id,
                "document_date": d.document_date.isoformat() if d.document_date else None,
                "date_source": d.date_source,
                "doc_type": d.doc_type,
                "title": d.title,
                "state": d.state,
            }
            for d in shown
        ],
    }


def person_names(session: Session, caller: Caller, person_ids: Sequence[str]) -> dict[str, str]:
    """Display names of listed people (hits, links) the caller may see; others stay IDs."""
    if caller.people is not None:
        person_ids = [p for p in person_ids if p in caller.people]
    if not person_ids:
        return {}
    found = session.execute(
        select(Person.person_id, Person.given_name, Person.family_name).where(
            Person.person_id.in_(list(person_ids))
        )
    )
    return {pid: f"{given} {family}".strip() or pid for pid, given, family in found}


def search_results_json(results: SearchResults) -> dict[str, Any]:
    hits = []
    for hit in results.hits:
        item = asdict(hit)
        item["document_date"] = hit.document_date.isoformat() if hit.document_date else None
        item["person_ids"] = list(hit.person_ids)
        item["highlights"] = list(hit.highlights)
        hits.append(item)
    return {"total": results.total, "hits": hits, "facets": results.facets}
