"""Person events from the case management system (issue 16, docs/decisions/0038): two records
merged, one split, a person's identifiers changed.

`PersonEvent` keeps what each event moved, so an undo puts back exactly that; `PersonMerge`
says where a merged-away person went, so a link, a legacy ID or a deep link naming them follows
to the person who holds their documents now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class PersonEvent(Base):
    """One merge, split or identifier change, and what it moved (`moved`, for the undo)."""

    __tablename__ = "person_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # merge | split | identifiers
    from_person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    into_person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    on_behalf_of: Mapped[str] = mapped_column(String(100), default="")
    # links: [[document ID, method, reason, created_by, created_at ISO]] moved from -> into;
    # legacy_ids, resolutions, candidates, training: rows re-pointed; person: fields changed.
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    undone_by: Mapped[str] = mapped_column(String(100), default="")
    undo_reason: Mapped[str] = mapped_column(Text, default="")


class PersonMerge(Base):
    """A merged-away person and the person their record went into (removed by an undo)."""

    __tablename__ = "person_merges"

    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), primary_key=True)
    into_person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("person_events.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
