"""Renditions: one PDF a person can read, page by page, for each version of a document
(issue 13, section 5; docs/decisions/0027).

The PDF itself is a blob like any original (`blobs`, keyed by its SHA-256), so fixity, transfer
and destruction treat it as stored content. A born-digital PDF that opens is its own rendition:
`sha256` is then the original's. A rendition that could not be made keeps its row, with
`sha256` None and the reason, so it is not tried again for that version; the document's own
state is never changed by it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base

RENDITION_MIME = "application/pdf"


class Rendition(Base):
    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The content rendered: twins (another document with the same content) share the PDF.
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The PDF's blob; None where it could not be made (then `reason` says why).
    sha256: Mapped[str | None] = mapped_column(
        ForeignKey("blobs.sha256"), nullable=True, index=True
    )
    mime: Mapped[str] = mapped_column(String(100), default=RENDITION_MIME)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    # original | repaired | ocr | libreoffice | message | html | text | listing | image
    method: Mapped[str] = mapped_column(String(30), default="")
    reason: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    seconds: Mapped[float] = mapped_column(default=0.0)
    made_at: Mapped[datetime] = mapped_column(DateTime)
