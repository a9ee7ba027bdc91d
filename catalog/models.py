"""The catalog: the truth about every batch, manifest row, document, blob, person and link."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Batch(Base):
    """One load of one manifest (a migration round)."""

    __tablename__ = "batches"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    manifest_path: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    people_path: Mapped[str] = mapped_column(Text, default="")
    mapping_sha256: Mapped[str] = mapped_column(String(64), default="")
    people_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="loading")  # loading | complete
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LedgerRow(Base):
    """One manifest row of one batch and the state it reached: the unit of reconciliation."""

    __tablename__ = "ledger"
    __table_args__ = (
        UniqueConstraint("batch", "line_no"),
        Index("ix_ledger_batch_state", "batch", "state"),
        # Source id first, then batch and line: finding a row's earlier lines in its batch is
        # one index search (mark_duplicates), where (batch, line_no) made it quadratic.
        Index("ix_ledger_source_line", "source_system", "source_document_id", "batch", "line_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[str] = mapped_column(ForeignKey("batches.name"))
    line_no: Mapped[int] = mapped_column(Integer)
    source_system: Mapped[str] = mapped_column(String(100), default="")
    source_document_id: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    # new | new_version | unchanged: what this round did to the document.
    change: Mapped[str] = mapped_column(String(20), default="")
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True, index=True
    )
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The parsed manifest row, so any worker can ingest it from the ledger alone.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # The manifest's optional legacy_url: the old system's link to this document (issue 16).
    legacy_url: Mapped[str | None] = mapped_column(String(2000), nullable=True, index=True)


class Blob(Base):
    """A stored file, by content: several documents may share one."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(200))
    stored_at: Mapped[datetime] = mapped_column(DateTime)


class Document(Base):
    """A legacy document: one per (source system, source document ID), or an email attachment."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("source_system", "source_document_id"),)
    # No RETURNING of server defaults after an INSERT (ocr_pending's default is always sent
    # anyway): with it, SQLite made the ORM insert documents one statement each even when
    # catalog.documents.assign_new_ids had given them their IDs.
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012 (mypy refuses ClassVar here)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_system: Mapped[str] = mapped_column(String(100))
    source_document_id: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str | None] = mapped_column(
        ForeignKey("blobs.sha256"), nullable=True, index=True
    )
    original_name: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    legacy_doc_type: Mapped[str] = mapped_column(String(300), default="")
    legacy_person_ids: Mapped[str] = mapped_column(Text, default="")
    mime: Mapped[str] = mapped_column(String(200), default="")
    extension_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    document_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Where the date came from (core.states.DateSource): manifest | text | email | none.
    date_source: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    doc_type: Mapped[str] = mapped_column(String(50), default="")
    type_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    type_reason: Mapped[str] = mapped_column(Text, default="")
    type_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    ocr_pages: Mapped[int] = mapped_column(Integer, default=0)
    engine: Mapped[str] = mapped_column(String(50), default="")
    # Pages of a PDF still waiting for OCR by page range (the document stays `stored` meanwhile).
    ocr_pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # OCR confidence (0..1): the mean over the OCRed pages, each page's by page number (JSON
    # keys are strings), and how many pages were read too poorly to trust (decision 0026).
    ocr_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    ocr_page_confidence: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    ocr_review_pages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    batch: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DocumentVersion(Base):
    """Every content a source document has had, oldest first (a later round may change a file)."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    batch: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DocumentText(Base):
    """Extracted text, apart from the document row so listing documents stays cheap."""

    __tablename__ = "document_texts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class DocumentPage(Base):
    """A page's text while a PDF's OCR is split by page range: the text layer or OCR text, or None
    while the page waits for OCR. The task that finds every page with text assembles the document's
    text and deletes the rows (workers/tasks.py)."""

    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "page_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    page_no: Mapped[int] = mapped_column(Integer)  # 1-based
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)  # an OCRed page's
    # The content the page was read from: rows of an older version are never counted.
    sha256: Mapped[str] = mapped_column(String(64))


class Person(Base):
    """A case record already migrated into the target CMS (from people.csv)."""

    __tablename__ = "people"

    person_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    target_system: Mapped[str] = mapped_column(String(50), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_of_death: Mapped[date | None] = mapped_column(Date, nullable=True)
    nhs_number: Mapped[str] = mapped_column(String(10), default="", index=True)
    service: Mapped[str] = mapped_column(String(20), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LegacyId(Base):
    """The crosswalk: a legacy system's person ID -> the migrated person."""

    __tablename__ = "legacy_ids"
    __table_args__ = (UniqueConstraint("system", "legacy_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(100))  # normalised: upper case
    legacy_id: Mapped[str] = mapped_column(String(100))  # normalised: see workers/link.py
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)


Index("ix_legacy_lookup", LegacyId.system, LegacyId.legacy_id)


class DocumentLink(Base):
    """A document on a person's record, and why."""

    __tablename__ = "document_links"
    __table_args__ = (UniqueConstraint("document_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    method: Mapped[str] = mapped_column(String(30))  # crosswalk | manual
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100), default="escr")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ExceptionItem(Base):
    """The migration team's queue: documents a person must look at."""

    __tablename__ = "exceptions"
    __table_args__ = (UniqueConstraint("document_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """Append-only, hash-chained record of every read and change (see catalog/audit.py)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[str] = mapped_column(String(30), default="")
    target_id: Mapped[str] = mapped_column(String(300), default="", index=True)
    person_ids: Mapped[str] = mapped_column(Text, default="")  # ';'-joined, for "who looked at me"
    on_behalf_of: Mapped[str] = mapped_column(String(100), default="")
    why: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
