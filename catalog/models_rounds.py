"""What a corrected round changed in a document's metadata (issue 12, section 3).

A later round with a corrected mapping, manifest or people file may change a document's date,
title, legacy type or legacy people without changing its file. Each such change is a metadata
version: the round (batch) that made it, why, and each field's value before and after, so a
migration lead can say where a date came from and undo a wrong round by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class MetadataVersion(Base):
    __tablename__ = "document_metadata_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # 2 is the first correction of the load's
    batch: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text)
    # field -> [before, after], dates as ISO strings
    changes: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime)
