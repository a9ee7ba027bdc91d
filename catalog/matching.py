"""Writing person matching's rows: a reviewer's resolution of a legacy ID and the confirmed
pairs the matcher learns from (catalog/models_matching.py). Functions do not commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import Document, LegacyId
from catalog.models_matching import ExceptionCandidate, LegacyIdResolution, MatchTrainingPair
from domain.values import normalise_legacy_id


def add_training_pair(
    session: Session,
    *,
    document_id: int,
    person_id: str,
    source: str,
    fields: dict[str, Any],
    now: datetime,
) -> None:
    """Keep (document, person) as a confirmed pair; `fields` may be empty (the matcher reads
    the subject from the document's text when it trains)."""
    exists = session.scalar(
        select(MatchTrainingPair.id).where(
            MatchTrainingPair.document_id == document_id, MatchTrainingPair.person_id == person_id
        )
    )
    if exists is None:
        session.add(
            MatchTrainingPair(
                document_id=document_id,
                person_id=person_id,
                source=source,
                fields=fields,
                created_at=now,
            )
        )


def forget_training_pair(session: Session, document_id: int, person_id: str) -> None:
    """A reviewer's link undone: the pair is no longer a confirmed match."""
    session.execute(
        delete(MatchTrainingPair).where(
            MatchTrainingPair.document_id == document_id,
            MatchTrainingPair.person_id == person_id,
            MatchTrainingPair.source == "reviewer",
        )
    )


def add_training_pairs(
    session: Session,
    pairs: Sequence[tuple[int, str, dict[str, Any]]],
    *,
    source: str,
    now: datetime,
    cap: int,
) -> int:
    """Keep (document ID, person ID, fields) as confirmed pairs in one INSERT, skipping pairs
    already kept, and none once `cap` pairs of this source are kept: the matcher reads at most
    that many, and a crosswalk confirms thousands a load (docs/decisions/0031). Returns how
    many were added."""
    if not pairs:
        return 0
    kept = (
        session.scalar(
            select(func.count())
            .select_from(MatchTrainingPair)
            .where(MatchTrainingPair.source == source)
        )
        or 0
    )
    room = cap - kept
    if room <= 0:
        return 0
    wanted = {(d, p): f for d, p, f in pairs}
    documents = sorted({d for d, _ in wanted})
    for start in range(0, len(documents), IN_LIST_MAX):
        chunk = documents[start : start + IN_LIST_MAX]
        for known in session.execute(
            select(MatchTrainingPair.document_id, MatchTrainingPair.person_id).where(
                MatchTrainingPair.document_id.in_(chunk)
            )
        ):
            wanted.pop((known[0], known[1]), None)
    rows = [
        {"document_id": d, "person_id": p, "source": source, "fields": f, "created_at": now}
        for (d, p), f in list(wanted.items())[:room]
    ]
    if rows:
        session.execute(insert(MatchTrainingPair), rows)
    return len(rows)


def resolve_legacy_ids(
    session: Session, document: Document, person_id: str, *, decided_by: str, now: datetime
) -> list[str]:
    """A reviewer linked a document whose legacy ID the crosswalk does not know: later rounds
    link every document of that ID to the same person. Only a document naming one legacy ID
    resolves it (with several, which is whose is not known). Returns the IDs resolved."""
    ids = [normalise_legacy_id(p) for p in document.legacy_person_ids.split(";") if p.strip()]
    system = document.source_system.strip().upper()
    if len(ids) != 1:
        return []
    in_crosswalk = session.scalar(
        select(LegacyId.id).where(LegacyId.system == system, LegacyId.legacy_id == ids[0])
    )
    if in_crosswalk is not None:
        return []
    existing = session.scalar(
        select(LegacyIdResolution).where(
            LegacyIdResolution.system == system, LegacyIdResolution.legacy_id == ids[0]
        )
    )
    if existing is None:
        session.add(
            LegacyIdResolution(
                system=system,
                legacy_id=ids[0],
                person_id=person_id,
                decided_by=decided_by,
                document_id=document.id,
                created_at=now,
            )
        )
    else:  # a later decision (an undo and relink) replaces the earlier one
        existing.person_id, existing.decided_by, existing.document_id = (
            person_id,
            decided_by,
            document.id,
        )
        existing.created_at = now
    return [f"{system}:{ids[0]}"]


def replace_candidates(
    session: Session, document_id: int, kind: str, rows: list[dict[str, Any]], *, fresh: bool
) -> None:
    """The ranked candidates (with evidence) of the document's exception of this kind."""
    if not fresh:
        session.execute(
            delete(ExceptionCandidate).where(
                ExceptionCandidate.document_id == document_id, ExceptionCandidate.kind == kind
            )
        )
    session.add_all(ExceptionCandidate(document_id=document_id, kind=kind, **r) for r in rows)


def candidates_of(session: Session, document_id: int, kind: str) -> list[ExceptionCandidate]:
    """An exception's candidates, strongest first (what the queue shows)."""
    return list(
        session.scalars(
            select(ExceptionCandidate)
            .where(ExceptionCandidate.document_id == document_id, ExceptionCandidate.kind == kind)
            .order_by(ExceptionCandidate.rank)
        )
    )
