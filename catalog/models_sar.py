"""Subject access requests (UK GDPR Art 15; issue 15; docs/decisions/0033).

One request (`SarRequest`) on one person in the catalog, with its clock: received, due (one
calendar month moved to the next working day, `records/sar_clock.py`), an extension recorded
within the first month, and pauses while escr waits for identity or clarification
(`SarPause`). Collation puts the person's documents on it as `SarItem`s, each saying how it
was linked; redaction suggestions and decisions are `SarRedaction`s; a released bundle is a
`SarRelease`, kept as a record of its own (retention class "SAR copy").

Vocabularies are strings, listed once here, so the API, the CLI and the pages share them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base

# Who asked: the data subject, a parent (for a child), a solicitor or another representative.
REQUESTER_RELATIONSHIPS = ("subject", "parent", "solicitor", "other")
# How the request arrived.
CHANNELS = ("email", "letter", "web", "phone", "in_person", "other")
# open -> (paused <-> open | extended) -> closed | released. `released` is closed with a bundle.
SAR_STATUSES = ("open", "paused", "extended", "closed", "released")
OPEN_STATUSES = ("open", "paused", "extended")
# Why the clock stopped (ICO: "the time limit is paused" until identity or clarification).
PAUSE_REASONS = ("identity", "clarification", "authority", "other")

# How a collated document reached the person (SarItem.how_linked):
#   crosswalk  a document link the crosswalk made (legacy ID in people.csv's crosswalk)
#   probable   a document link the matcher made with certainty (decision 0031)
#   person     a link a reviewer made (the exception queue, a legacy ID resolution)
#   attachment an email's or container's member, on the person through its parent
#   legacy_id  the document names one of the person's legacy IDs but is linked to no one
#   nhs        the document's text carries the person's NHS number
#   mention    a document on someone else that mentions the person (a candidate only)
HOW_LINKED = ("crosswalk", "probable", "person", "attachment", "legacy_id", "nhs", "mention")
# included: goes to the bundle; candidate: offered for review, never added silently;
# excluded: kept out, with a reason (a duplicate, not the person, decided by a reviewer).
ITEM_STATUSES = ("included", "candidate", "excluded")

REDACTION_STATUSES = ("suggested", "accepted", "rejected")
SAR_COPY_CLASS = "SAR copy"


class SarRequest(Base):
    __tablename__ = "sar_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    received: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="other")
    requester_name: Mapped[str] = mapped_column(String(300), default="")
    requester_relationship: Mapped[str] = mapped_column(String(20), default="subject")
    # What was seen: "passport checked in person 2025-03-02", "signed consent of the subject".
    identity_evidence: Mapped[str] = mapped_column(Text, default="")
    authority_evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # The date the answer is due now: the statutory one, extended, plus any paused days.
    due: Mapped[date] = mapped_column(Date, index=True)
    # The one-month date, before extension and pauses (what the clock started from).
    statutory_due: Mapped[date] = mapped_column(Date)
    extension_recorded: Mapped[date | None] = mapped_column(Date, nullable=True)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extended_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The legal hold (reason type `sar`) on everything collated; released when the request closes.
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("legal_holds.id"), nullable=True)
    # A later request may start from the last release of the same person (SarRelease.id).
    previous_release_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    collated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    close_reason: Mapped[str] = mapped_column(Text, default="")


class SarPause(Base):
    """The clock stopped from `start` (a day not counted) until `end` (the day it runs again);
    `end` is None while paused. The due date moves by the days paused."""

    __tablename__ = "sar_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sar_id: Mapped[int] = mapped_column(ForeignKey("sar_requests.id"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason_type: Mapped[str] = mapped_column(String(20))  # PAUSE_REASONS
    reason: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[str] = mapped_column(String(100))
    ended_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SarItem(Base):
    """One document collated for a request, with how it was linked and what became of it."""

    __tablename__ = "sar_items"
    __table_args__ = (UniqueConstraint("sar_id", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sar_id: Mapped[int] = mapped_column(ForeignKey("sar_requests.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    how_linked: Mapped[str] = mapped_column(String(20))  # HOW_LINKED
    # Every way it was linked and what matched: "crosswalk: CARE/00123", "NHS 943 476 5919".
    link_detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="included", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # The same content (sha256) as an earlier item's document: shown once, this one excluded.
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    # Documents whose pages are at least 90% the same text share a group: the first document's id.
    near_duplicate_group: Mapped[int | None] = mapped_column(Integer, nullable=True)
    near_duplicate_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Emails of one conversation share a key (normalised subject or the thread's first Message-ID).
    thread_key: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SarRedaction(Base):
    """A redaction on one document of a request: a text span (character offsets in the page's
    text, or in the document's text when `page` is None) or a box on a page image (page units:
    PDF points from the top left), with its exemption code and reason."""

    __tablename__ = "sar_redactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sar_id: Mapped[int] = mapped_column(ForeignKey("sar_requests.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1-based
    span_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    span_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    box_x: Mapped[float | None] = mapped_column(Float, nullable=True)
    box_y: Mapped[float | None] = mapped_column(Float, nullable=True)
    box_w: Mapped[float | None] = mapped_column(Float, nullable=True)
    box_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    term: Mapped[str] = mapped_column(Text, default="")
    # What a suggestion found: person | name | address | postcode | phone | email | nhs | manual
    kind: Mapped[str] = mapped_column(String(30), default="manual")
    every_occurrence: Mapped[bool] = mapped_column(Boolean, default=False)
    code: Mapped[str] = mapped_column(String(100), default="")  # an exemption code
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="suggested", index=True)
    made_by: Mapped[str] = mapped_column(String(100))  # "escr" for a suggestion
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    approved_by: Mapped[str] = mapped_column(String(100), default="")  # the second sign-off
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SarRelease(Base):
    """A released bundle, kept as its own record (retention class "SAR copy")."""

    __tablename__ = "sar_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sar_id: Mapped[int] = mapped_column(ForeignKey("sar_requests.id"), index=True)
    bundle_sha256: Mapped[str] = mapped_column(String(64))  # the zip
    blob_key: Mapped[str] = mapped_column(String(300))
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The bundle registered as a catalog document, when it is (for retention and disposal).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    record_class: Mapped[str] = mapped_column(String(50), default=SAR_COPY_CLASS)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)  # file name -> SHA-256
    released_by: Mapped[str] = mapped_column(String(100))
    released_at: Mapped[datetime] = mapped_column(DateTime)
