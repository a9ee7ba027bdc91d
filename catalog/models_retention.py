"""Catalog tables for retention, holds, disposal and the audit chain head (see retention/)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class AuditChainHead(Base):
    """The one row holding the newest audit hash and the event count.

    Writers lock it to append (so two PostgreSQL writers cannot fork the chain), and verify
    compares it with the log, so removing the last events shows too.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class RetentionSchedule(Base):
    """Every schedule version ever used, so any decision's rules can be read back."""

    __tablename__ = "retention_schedules"

    version: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class RetentionDecision(Base):
    """A document's current appraisal: class, date or why it is retained, and the rules used."""

    __tablename__ = "retention_decisions"
    __table_args__ = (Index("ix_retention_status_until", "status", "retain_until"),)

    document_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # scheduled | due | retained
    record_class: Mapped[str] = mapped_column(String(50), default="")
    classes: Mapped[str] = mapped_column(Text, default="")  # ';'-joined, every class that applied
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(20), default="")
    children: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_version: Mapped[str] = mapped_column(String(200))
    evaluated_at: Mapped[datetime] = mapped_column(DateTime)
    # A digest of everything the decision was made from (retention/appraise.py): a document
    # whose inputs have the same digest at the next evaluation keeps its decision.
    inputs: Mapped[str] = mapped_column(String(32), default="")


class RetentionBlobLock(Base):
    """What the blob store was last asked to enforce on one blob (S3 Object Lock).

    Retention only ever lengthens, so this is the floor already sent; the drift report compares
    the store with the catalog's decisions and holds, not with this row.
    """

    __tablename__ = "retention_blob_locks"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class RetentionOverride(Base):
    """A reviewer's decision on one document: a new class, or a later date (extend)."""

    __tablename__ = "retention_overrides"

    document_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_class: Mapped[str] = mapped_column(String(50), default="")
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)


class LegalHold(Base):
    """A saved criterion that stops disposal of every document it matches, now or later."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    reason_type: Mapped[str] = mapped_column(String(30))  # inquiry | litigation | complaint | sar
    authority: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100))
    criteria: Mapped[dict[str, Any]] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    released_by: Mapped[str] = mapped_column(String(100), default="")
    release_reason: Mapped[str] = mapped_column(Text, default="")


class DisposalProposal(Base):
    """What a sweep found due, waiting for review by people who did not propose it."""

    __tablename__ = "disposal_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    as_of: Mapped[date] = mapped_column(Date)
    rule_version: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | executed


class DisposalItem(Base):
    """One document in a proposal and where its review stands."""

    __tablename__ = "disposal_items"
    __table_args__ = (UniqueConstraint("proposal_id", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("disposal_proposals.id"), index=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    record_class: Mapped[str] = mapped_column(String(50))
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    rule_version: Mapped[str] = mapped_column(String(200))
    children: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(20), default="destroy")
    action_value: Mapped[str] = mapped_column(String(200), default="")
    # proposed | approved | rejected | destroyed | blocked | extended | reclassified | transferred
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class DisposalReview(Base):
    """One reviewer's decision on one item, with the justification."""

    __tablename__ = "disposal_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_items.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    action: Mapped[str] = mapped_column(String(20))
    action_value: Mapped[str] = mapped_column(String(200), default="")
    justification: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class DestructionRecord(Base):
    """The residual record of a document destroyed or transferred to the archive (its copies
    here removed either way), kept permanently."""

    __tablename__ = "destruction_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    source_system: Mapped[str] = mapped_column(String(100))
    source_document_id: Mapped[str] = mapped_column(String(300))
    sha256s: Mapped[list[Any]] = mapped_column()
    blob_keys_deleted: Mapped[list[Any]] = mapped_column()
    person_ids: Mapped[list[Any]] = mapped_column()
    record_class: Mapped[str] = mapped_column(String(50))
    rule_version: Mapped[str] = mapped_column(String(200))
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    approvals: Mapped[list[Any]] = mapped_column()
    destroyed_by: Mapped[str] = mapped_column(String(100))
    destroyed_at: Mapped[datetime] = mapped_column(DateTime)
    # destroy | transfer; for a transfer, the package the archive received (retention.transfer).
    disposal_action: Mapped[str] = mapped_column(
        String(20), default="destroy", server_default="destroy"
    )
    transfer_package: Mapped[str | None] = mapped_column(String(300), nullable=True)


class DestructionCertificate(Base):
    """A signed certificate of one execution: the canonical body and its Ed25519 signature."""

    __tablename__ = "destruction_certificates"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(Integer, index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))
