"""The exception queue as a reviewer works it: filtered (kind, batch, source system, document
type), sorted (oldest first, or the strongest candidate first), a page at a time, each item's
candidates labelled by where they came from, with their evidence where the matcher kept it
(catalog/models_matching.py), and how many open items share its legacy ID (the bulk action).

Nothing is preselected: the candidates are listed strongest first and the reviewer picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from catalog.ledger import get_batch
from catalog.models import Document, ExceptionItem, LegacyId, Person
from catalog.models_matching import ExceptionCandidate
from domain.values import normalise_legacy_id
from domain.vocabulary import exception_kind_label
from indexer.base import check_window
from records.filters import check_choices

Sort = Literal["oldest", "confidence"]
SORTS: tuple[str, ...] = ("oldest", "confidence")

# Where a candidate came from, as a reviewer reads it (ExceptionCandidate.source's codes).
SOURCE_LABELS = {
    "crosswalk": "crosswalk",
    "text_nhs": "NHS number in the text",
    "text_name_dob": "name and date of birth in the text",
    "text_name": "name in the text",
    "probable": "probable match",
}
_NAME_FIELDS = ("given_name", "family_name", "name")


@dataclass(frozen=True)
class QueueFilter:
    kind: str | None = None
    batch: str | None = None
    source_system: str | None = None
    doc_type: str | None = None
    sort: str = "oldest"


def _filtered(session: Session, wanted: QueueFilter) -> Select[ExceptionItem, Document]:
    check_choices("sort", (wanted.sort,), SORTS)
    query: Select[ExceptionItem, Document] = (
        select(ExceptionItem, Document)
        .join(Document, Document.id == ExceptionItem.document_id)
        .where(ExceptionItem.status == "open")
    )
    if wanted.kind:
        query = query.where(ExceptionItem.kind == wanted.kind)
    if wanted.batch:
        get_batch(session, wanted.batch)  # a misspelt batch is a 404, not an empty queue
        query = query.where(Document.batch == wanted.batch)
    if wanted.source_system:
        query = query.where(Document.source_system == wanted.source_system)
    if wanted.doc_type:
        query = query.where(Document.doc_type == wanted.doc_type)
    return query


def _ordered(query: Select[ExceptionItem, Document], sort: str) -> Select[ExceptionItem, Document]:
    if sort == "confidence":
        best = (
            select(func.max(ExceptionCandidate.match_probability))
            .where(
                ExceptionCandidate.document_id == ExceptionItem.document_id,
                ExceptionCandidate.kind == ExceptionItem.kind,
            )
            .scalar_subquery()
        )
        return query.order_by(best.desc().nulls_last(), ExceptionItem.id)
    return query.order_by(ExceptionItem.id)


def count(session: Session, wanted: QueueFilter) -> int:
    query = _filtered(session, wanted).with_only_columns(func.count(ExceptionItem.id))
    return int(session.scalar(query) or 0)


def choices(session: Session) -> dict[str, list[str]]:
    """The values the open queue's filters can take (its source systems and types)."""
    open_documents = (
        select(Document.source_system, Document.doc_type)
        .join(ExceptionItem, ExceptionItem.document_id == Document.id)
        .where(ExceptionItem.status == "open")
        .distinct()
    )
    rows = session.execute(open_documents).all()
    return {
        "source_systems": sorted({s for s, _ in rows if s}),
        "doc_types": sorted({t for _, t in rows if t}),
    }


def legacy_ids_of(document: Document) -> list[str]:
    """The document's legacy person IDs, normalised as the crosswalk keeps them."""
    return [normalise_legacy_id(p) for p in document.legacy_person_ids.split(";") if p.strip()]


def open_with_legacy_id(
    session: Session, source_system: str, legacy_id: str
) -> list[tuple[ExceptionItem, Document]]:
    """Every open exception whose document names exactly this one legacy person ID (under
    this source system): the documents a bulk decision about the ID applies to."""
    wanted = normalise_legacy_id(legacy_id)
    rows = session.execute(
        select(ExceptionItem, Document)
        .join(Document, Document.id == ExceptionItem.document_id)
        .where(
            ExceptionItem.status == "open",
            Document.source_system == source_system,
            # Stored as the manifest gave it; normalised below (leading zeros, case).
            func.upper(func.trim(Document.legacy_person_ids)).like(f"%{wanted.lstrip('0')}"),
        )
        .order_by(ExceptionItem.id)
    )
    return [(item, doc) for item, doc in rows if legacy_ids_of(doc) == [wanted]]


def _open_by_legacy_id(session: Session, documents: Sequence[Document]) -> dict[str, int]:
    """How many open documents share each page document's (system, single legacy ID): one
    pass over the open queue's documents of those systems, not a query a document."""
    keys = {(d.source_system, ids[0]) for d in documents if len(ids := legacy_ids_of(d)) == 1}
    if not keys:
        return {}
    rows = session.execute(
        select(Document.id, Document.source_system, Document.legacy_person_ids)
        .join(ExceptionItem, ExceptionItem.document_id == Document.id)
        .where(
            ExceptionItem.status == "open",
            Document.source_system.in_(sorted({system for system, _ in keys})),
        )
        .distinct()
    )
    counts: dict[str, int] = {}
    for _, system, raw in rows:
        ids = [normalise_legacy_id(p) for p in raw.split(";") if p.strip()]
        if len(ids) == 1 and (system, ids[0]) in keys:
            key = f"{system}\t{ids[0]}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def _crosswalk_people(session: Session, documents: Sequence[Document]) -> dict[int, set[str]]:
    """The people the crosswalk maps each document's legacy IDs to (to label candidates)."""
    found: dict[int, set[str]] = {}
    for document in documents:
        ids = legacy_ids_of(document)
        if not ids:
            continue
        people = session.scalars(
            select(LegacyId.person_id).where(
                LegacyId.system == document.source_system.strip().upper(),
                LegacyId.legacy_id.in_(ids),
            )
        )
        found[document.id] = set(people)
    return found


def _candidate_json(
    person: Person, source: str, detail: str, row: ExceptionCandidate | None
) -> dict[str, Any]:
    born = person.date_of_birth
    evidence = list(row.evidence) if row is not None else []
    named = [e.get("text", "") for e in evidence if e.get("field") in _NAME_FIELDS]
    return {
        "person_id": person.person_id,
        "name": f"{person.given_name} {person.family_name}".strip(),
        "date_of_birth": born.isoformat() if born else None,
        "source": source,
        "source_label": SOURCE_LABELS.get(source, source.replace("_", " ")),
        "source_detail": detail,
        "match_probability": row.match_probability if row is not None else None,
        "match_weight": row.match_weight if row is not None else None,
        "evidence": evidence,
        "name_in_text": " ".join(n for n in named if n),
    }


def _candidates(
    session: Session, items: Sequence[tuple[ExceptionItem, Document]]
) -> dict[int, list[dict[str, Any]]]:
    """Each item's candidates, strongest first: the matcher's rows where it kept them, else
    the item's person IDs labelled crosswalk (the legacy ID maps to them) or NHS number."""
    if not items:
        return {}
    documents = [d for _, d in items]
    stored: dict[tuple[int, str], list[ExceptionCandidate]] = {}
    for row in session.scalars(
        select(ExceptionCandidate)
        .where(ExceptionCandidate.document_id.in_([d.id for d in documents]))
        .order_by(ExceptionCandidate.rank)
    ):
        stored.setdefault((row.document_id, row.kind), []).append(row)
    wanted = {str(c) for item, _ in items for c in item.candidates}
    wanted |= {r.person_id for rows in stored.values() for r in rows}
    people = {
        p.person_id: p
        for p in session.scalars(select(Person).where(Person.person_id.in_(sorted(wanted))))
    }
    crosswalk = _crosswalk_people(session, documents)
    found: dict[int, list[dict[str, Any]]] = {}
    for item, document in items:
        rows = stored.get((document.id, item.kind))
        if rows:
            found[item.id] = [
                _candidate_json(people[r.person_id], r.source, r.source_detail, r)
                for r in rows
                if r.person_id in people
            ]
            continue
        mapped = crosswalk.get(document.id, set())
        found[item.id] = [
            _candidate_json(
                people[c],
                "crosswalk" if c in mapped else "text_nhs",
                "",
                None,
            )
            for c in map(str, item.candidates)
            if c in people
        ]
    return found


def page(session: Session, wanted: QueueFilter, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """One page of the open queue under the filter, each item with its labelled candidates."""
    check_window(limit, offset)
    query = _ordered(_filtered(session, wanted), wanted.sort).limit(limit).offset(offset)
    items = [(item, doc) for item, doc in session.execute(query)]
    candidates = _candidates(session, items)
    same_id = _open_by_legacy_id(session, [d for _, d in items])
    answer = []
    for item, document in items:
        ids = legacy_ids_of(document)
        key = f"{document.source_system}\t{ids[0]}" if len(ids) == 1 else ""
        answer.append(
            {
                "exception_id": item.id,
                "kind": item.kind,
                "kind_label": exception_kind_label(item.kind),
                "detail": item.detail,
                "candidates": item.candidates,
                "candidate_people": candidates.get(item.id, []),
                "document_id": document.id,
                "source_system": document.source_system,
                "source_document_id": document.source_document_id,
                "title": document.title,
                "doc_type": document.doc_type,
                "type_confidence": document.type_confidence,
                "legacy_person_ids": document.legacy_person_ids,
                "same_legacy_id_open": same_id.get(key, 0),
                "state": document.state,
                "batch": document.batch,
                "created_at": item.created_at.isoformat(timespec="seconds"),
            }
        )
    return answer


def recent_decisions(session: Session, *, limit: int = 10) -> list[dict[str, Any]]:
    """The queue's latest decisions, newest first, for undoing one."""
    rows = session.execute(
        select(ExceptionItem, Document)
        .join(Document, Document.id == ExceptionItem.document_id)
        .where(ExceptionItem.status != "open", ExceptionItem.resolved_at.is_not(None))
        .order_by(ExceptionItem.resolved_at.desc(), ExceptionItem.id.desc())
        .limit(limit)
    )
    return [
        {
            "exception_id": item.id,
            "document_id": document.id,
            "title": document.title,
            "kind_label": exception_kind_label(item.kind),
            "status": item.status,
            "resolution": item.resolution,
            "resolved_at": item.resolved_at.isoformat(timespec="seconds")
            if item.resolved_at
            else "",
        }
        for item, document in rows
    ]
