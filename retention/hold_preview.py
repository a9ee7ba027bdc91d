"""What a hold would catch before it is placed: the same criteria and the same matching as a
placed hold (retention/hold_match.py), on a hold that is never saved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models import Document
from catalog.models_retention import LegalHold
from retention.hold_match import holds_on
from retention.holds import clean_criteria


def preview(
    session: Session, criteria: dict[str, Any], *, actor: str, first: int = 10
) -> tuple[int, list[int]]:
    """How many documents the criteria match now, and the first few IDs (oldest first);
    writes nothing but the audit event of the look."""
    cleaned = clean_criteria(criteria)
    unsaved = LegalHold(id=0, criteria=cleaned)
    ids = list(session.scalars(select(Document.id).where(Document.state != "destroyed")))
    matched = sorted(holds_on(session, ids, [unsaved]))
    audit.record(
        session,
        actor=actor,
        action="hold_preview",
        target_type="hold",
        detail={"criteria": cleaned, "matched": len(matched)},
    )
    return len(matched), matched[:first]
