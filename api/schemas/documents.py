"""Answers of search, documents, chronologies and break-glass (records/reads.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Answer
from core.states import DateSource

DATE_SOURCE = (
    "where the date came from: "
    + ", ".join(f"{s.value} ({s.label})" for s in DateSource)
    + "; email is file metadata (the Date header)"
)


class SearchHit(Answer):
    document_id: int
    source_system: str
    source_document_id: str
    person_ids: list[str] = Field(description="the people the document is linked to")
    doc_type: str
    document_date: str | None = Field(description="YYYY-MM-DD, where known")
    title: str
    score: float = Field(description="relevance; higher is better")
    highlights: list[str] = Field(description="snippets, the matched words inside <mark>")


class SearchResults(Answer):
    """One page of hits, with facet counts over every match."""

    total: int = Field(description="every match the caller may see, not just this page")
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(
        description='facet ("doc_type", "year", ...) -> value -> matches'
    )


class Link(Answer):
    person_id: str
    method: str = Field(description="how the link was made (a legacy ID, manual, parent, ...)")
    reason: str
    created_by: str


class RetentionSummary(Answer):
    status: str = Field(description="scheduled, due or retained")
    record_class: str
    retain_until: str | None = Field(description="YYYY-MM-DD; none where retained indefinitely")
    reason: str


class RenditionSummary(Answer):
    state: str = Field(
        description="made (GET .../rendition serves it), waiting (for the render stage) or failed"
    )
    pages: int
    method: str = Field(description="how it was made: original, repaired, ocr, libreoffice, ...")
    reason: str | None = Field(description="why it could not be made, where it failed")


class MetadataCorrection(Answer):
    """One round's correction of a document's metadata (`escr load` of a corrected manifest)."""

    version: int = Field(description="2 is the first correction of what the first load gave")
    batch: str = Field(description="the round that made it")
    reason: str
    changes: dict[str, Any] = Field(description="field -> [before, after], dates as YYYY-MM-DD")
    at: str = Field(description="when, UTC")


class DocumentMetadata(Answer):
    """A document's catalog record: how it was classified and linked, and why."""

    document_id: int
    source_system: str
    source_document_id: str
    parent_id: int | None = Field(description="the email or container it came out of")
    version: int
    title: str
    original_name: str
    mime: str
    extension_mismatch: bool = Field(description="the file's name says another type")
    sha256: str | None = Field(description="of the stored file; none where nothing is stored")
    document_date: str | None = Field(description="YYYY-MM-DD, where known")
    date_source: str = Field(description=DATE_SOURCE)
    doc_type: str
    type_confidence: float
    type_reason: str
    type_confirmed: bool = Field(description="a person confirmed the type")
    legacy_doc_type: str
    legacy_person_ids: str = Field(description="the person IDs the legacy system gave, as given")
    state: str = Field(description="where the document is in loading (indexed, quarantined...)")
    reason: str | None
    detail: str
    pages: int
    ocr_pages: int
    ocr_confidence: float | None = Field(
        description="mean word confidence (0..1) over the OCRed pages; none without OCR"
    )
    ocr_needs_review: list[int] = Field(
        description="pages OCR read too poorly to trust: a person should check their text"
    )
    engine: str = Field(description="the text extractor used")
    person_ids: list[str]
    links: list[Link]
    exceptions: list[str] = Field(description="kinds of the document's open exceptions")
    attachments: list[int] = Field(description="child document IDs the caller may see")
    restrictions: list[str] = Field(description="restricted classes, its family's included")
    retention: RetentionSummary | None
    metadata: dict[str, Any] = Field(description="the manifest's extra columns, as loaded")
    rendition: RenditionSummary = Field(description="the readable PDF of the current version")
    corrections: list[MetadataCorrection] = Field(
        description="what later rounds of the migration changed in this metadata, oldest first"
    )


class Person(Answer):
    person_id: str
    given_name: str
    family_name: str
    date_of_birth: str | None = Field(description="YYYY-MM-DD, where known")
    target_system: str
    service: str
    nhs_number: str
    legacy_ids: list[str] = Field(description='"system:id" for each legacy ID')
    merged_into: str | None = Field(
        default=None,
        description="where a record the CMS merged away went (its documents are there)",
    )


class ChronologyEntry(Answer):
    document_id: int
    document_date: str | None = Field(description="YYYY-MM-DD, where known")
    date_source: str = Field(description=DATE_SOURCE)
    doc_type: str
    title: str
    state: str


class Chronology(Answer):
    """A person's documents the caller may see, newest first."""

    person: Person
    types: dict[str, int] = Field(description="document type -> count, before the type filter")
    total: int = Field(description="documents the filters leave, across every page")
    documents: list[ChronologyEntry]


class BreakGlassGrant(Answer):
    person_id: str
    expires_at: str = Field(description="when the access ends (UTC, ISO 8601)")
