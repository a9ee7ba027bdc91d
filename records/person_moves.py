"""Moving what hangs on a person to another, and back: the catalog half of a person event
(records/person_events.py). Each move returns what it did as JSON, kept on the PersonEvent,
and the undo reads only that. Functions do not commit.

What moves with a person's documents: their links (a link the other person already has is
dropped, and made again by the undo), their crosswalk legacy IDs and reviewers' resolutions
(so a later round's documents of those IDs land on the person who holds the record now), the
exception candidates and confirmed pairs naming them, and their restricted-class marks (a merge
must not lift a restriction from the documents it moves).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import DocumentLink, LegacyId
from catalog.models_access import Restriction
from catalog.models_matching import ExceptionCandidate, LegacyIdResolution, MatchTrainingPair

Moved = dict[str, Any]


def _iso(value: datetime) -> str:
    return value.isoformat()


def move_links(
    session: Session,
    source: str,
    target: str,
    *,
    note: str,
    only: Collection[int] | None = None,
) -> Moved:
    """The source's document links (or those of `only`) moved to the target; returns
    {"moved": [[document, reason]], "dropped": [[document, method, reason, by, at]]}."""
    query = select(DocumentLink).where(DocumentLink.person_id == source)
    links = list(session.scalars(query))
    if only is not None:
        links = [link for link in links if link.document_id in only]
    ids = [link.document_id for link in links]
    has: set[int] = set()
    for start in range(0, len(ids), IN_LIST_MAX):
        has.update(
            session.scalars(
                select(DocumentLink.document_id).where(
                    DocumentLink.person_id == target,
                    DocumentLink.document_id.in_(ids[start : start + IN_LIST_MAX]),
                )
            )
        )
    moved: list[list[Any]] = []
    dropped: list[list[Any]] = []
    for link in links:
        if link.document_id in has:
            dropped.append(
                [link.document_id, link.method, link.reason, link.created_by, _iso(link.created_at)]
            )
            session.delete(link)
        else:
            moved.append([link.document_id, link.reason])
            link.person_id, link.reason = target, f"{link.reason} [{note}]"
    session.flush()
    return {"moved": moved, "dropped": dropped}


def undo_links(session: Session, source: str, target: str, record: Moved) -> list[int]:
    """Put moved links back on the source and make dropped ones again; returns the documents."""
    back: list[int] = []
    for document_id, reason in record.get("moved", []):
        link = session.scalar(
            select(DocumentLink).where(
                DocumentLink.document_id == document_id, DocumentLink.person_id == target
            )
        )
        if link is not None:
            link.person_id, link.reason = source, reason
            back.append(document_id)
    for document_id, method, reason, by, at in record.get("dropped", []):
        session.add(
            DocumentLink(
                document_id=document_id,
                person_id=source,
                method=method,
                reason=reason,
                created_by=by,
                created_at=datetime.fromisoformat(at),
            )
        )
        back.append(document_id)
    session.flush()
    return sorted(set(back))


def move_legacy_ids(
    session: Session, source: str, target: str, only: Collection[str] | None = None
) -> Moved:
    """The crosswalk's legacy IDs of the source (or `only`, as "SYSTEM:ID") onto the target."""
    rows = list(session.scalars(select(LegacyId).where(LegacyId.person_id == source)))
    if only is not None:
        rows = [r for r in rows if f"{r.system}:{r.legacy_id}" in only]
    has = {
        (r.system, r.legacy_id)
        for r in session.scalars(select(LegacyId).where(LegacyId.person_id == target))
    }
    moved, dropped = [], []
    for row in rows:
        if (row.system, row.legacy_id) in has:
            dropped.append([row.system, row.legacy_id])
            session.delete(row)
        else:
            row.person_id = target
            moved.append([row.system, row.legacy_id])
    return {"moved": moved, "dropped": dropped}


def undo_legacy_ids(session: Session, source: str, target: str, record: Moved) -> None:
    for system, legacy_id in record.get("moved", []):
        row = session.scalar(
            select(LegacyId).where(
                LegacyId.system == system,
                LegacyId.legacy_id == legacy_id,
                LegacyId.person_id == target,
            )
        )
        if row is not None:
            row.person_id = source
    for system, legacy_id in record.get("dropped", []):
        session.add(LegacyId(system=system, legacy_id=legacy_id, person_id=source))


def _repoint(session: Session, model: Any, source: str, target: str, key: str) -> list[int]:
    """Rows of `model` naming the source re-pointed at the target where the target has no row
    for the same `key` (a document); the others are left (they still say who was meant)."""
    rows = list(session.scalars(select(model).where(model.person_id == source)))
    taken = set(session.scalars(select(getattr(model, key)).where(model.person_id == target)))
    moved = []
    for row in rows:
        if getattr(row, key) not in taken:
            row.person_id = target
            moved.append(row.id)
    return moved


def _unpoint(session: Session, model: Any, ids: list[int], source: str) -> None:
    for row_id in ids:
        row = session.get(model, row_id)
        if row is not None:
            row.person_id = source


def move_matching(session: Session, source: str, target: str) -> Moved:
    """Reviewers' resolutions, candidates and confirmed pairs that name the source."""
    resolutions = [
        r.id
        for r in session.scalars(
            select(LegacyIdResolution).where(LegacyIdResolution.person_id == source)
        )
    ]
    for row_id in resolutions:
        row = session.get(LegacyIdResolution, row_id)
        assert row is not None
        row.person_id = target
    return {
        "resolutions": resolutions,
        "candidates": _repoint(session, ExceptionCandidate, source, target, "document_id"),
        "training": _repoint(session, MatchTrainingPair, source, target, "document_id"),
    }


def undo_matching(session: Session, source: str, record: Moved) -> None:
    _unpoint(session, LegacyIdResolution, record.get("resolutions", []), source)
    _unpoint(session, ExceptionCandidate, record.get("candidates", []), source)
    _unpoint(session, MatchTrainingPair, record.get("training", []), source)


def copy_restrictions(session: Session, source: str, target: str, *, actor: str) -> list[int]:
    """The source's restricted-class marks given to the target too (the IDs of new marks)."""
    marks = session.scalars(
        select(Restriction).where(
            Restriction.target_type == "person", Restriction.target_id == source
        )
    )
    has = set(
        session.scalars(
            select(Restriction.restriction).where(
                Restriction.target_type == "person", Restriction.target_id == target
            )
        )
    )
    added = []
    for mark in list(marks):
        if mark.restriction in has:
            continue
        row = Restriction(
            target_type="person",
            target_id=target,
            restriction=mark.restriction,
            reason=f"carried from {source} by a person event: {mark.reason}",
            set_by=actor,
            set_at=mark.set_at,
        )
        session.add(row)
        session.flush()
        added.append(row.id)
    return added


def undo_restrictions(session: Session, ids: list[int]) -> None:
    for row_id in ids:
        row = session.get(Restriction, row_id)
        if row is not None:
            session.delete(row)
