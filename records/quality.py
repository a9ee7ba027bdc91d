"""How good a load's linking and classification are, measured against a ground truth.

The ground truth is a CSV with one line per document: source_system, source_document_id,
person_ids (the people it is truly about, ";"-separated) and, when known, linkable (1/0: the
archive holds the evidence to find them), misfiled (non-empty when the manifest put it on
someone else) and doc_type. `escr synth --noise` writes one (truth.csv, workers/synth/truth.py);
a migration can write its own from a sample its officers checked. bench/bench_linking.py
prints these figures, and `escr quality BATCH` is meant to.

A link is automatic unless a person made it (method `manual`). Precision matters more than
recall: a document on the wrong child's record is a data breach.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from catalog.models import Document, DocumentLink, ExceptionItem
from core.states import RowState
from domain.vocabulary import CONTENT_EXCEPTION_KINDS

MANUAL = "manual"
TOP_N = 3  # a reviewer reads the first few candidates; the right one must be among them


@dataclass(frozen=True)
class TruthDocument:
    """What one document truly is."""

    source_system: str
    source_document_id: str
    person_ids: frozenset[str]
    linkable: bool
    misfiled: bool
    doc_type: str


@dataclass(frozen=True)
class LinkingQuality:
    """A load's figures against the truth. Rates are None when nothing was there to count."""

    documents: int  # documents of the truth found in the catalog
    linkable: int  # of them, linkable to at least one person
    auto_links: int  # automatic (document, person) links
    wrong_auto_links: int  # automatic links to someone the document is not about
    link_precision: float | None  # right automatic links / automatic links
    auto_recall: float | None  # linkable documents' true people linked automatically / all
    misfiled: int
    misfiled_caught: int  # not linked automatically to anyone wrong, and queued or linked right
    misfiled_caught_rate: float | None
    reviewed: int  # linkable documents in the queue whose true people are not all linked
    review_top3: int  # of them, those whose missing true people are among the first candidates
    review_top3_rate: float | None
    paths: dict[str, int]  # documents by decision path: a link method, review, unlinked
    typed: int  # indexed documents with a true type (no catalog type counts as a wrong one)
    type_macro_f1: float | None


def read_truth(path: Path) -> list[TruthDocument]:
    """The ground truth CSV (columns in the module docstring; absent optional columns default)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        people = frozenset(p.strip() for p in row["person_ids"].split(";") if p.strip())
        linkable = row.get("linkable")
        out.append(
            TruthDocument(
                source_system=row["source_system"].strip(),
                source_document_id=row["source_document_id"].strip(),
                person_ids=people,
                linkable=bool(people) if linkable is None else linkable.strip() == "1",
                misfiled=bool((row.get("misfiled") or "").strip()),
                doc_type=(row.get("doc_type") or "").strip(),
            )
        )
    return out


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def macro_f1(pairs: Iterable[tuple[str, str]]) -> float | None:
    """Macro-averaged F1 of (true, predicted) labels over every label either side uses."""
    counted = Counter(pairs)
    labels = {label for pair in counted for label in pair}
    scores = []
    for label in sorted(labels):
        hit = counted[(label, label)]
        predicted = sum(n for (_, p), n in counted.items() if p == label)
        actual = sum(n for (t, _), n in counted.items() if t == label)
        scores.append(2 * hit / (predicted + actual) if predicted + actual else 0.0)
    return sum(scores) / len(scores) if scores else None


@dataclass
class _Seen:
    """What the catalog holds about one document."""

    doc_type: str
    indexed: bool
    auto: dict[str, str]  # person ID -> link method
    candidates: list[str]  # the queue's candidates, in order, without repeats
    queued: bool


def _catalog(session: Session, truth: list[TruthDocument]) -> dict[tuple[str, str], _Seen]:
    keys = [(t.source_system, t.source_document_id) for t in truth]
    seen: dict[tuple[str, str], _Seen] = {}
    by_id: dict[int, _Seen] = {}
    for start in range(0, len(keys), 500):  # bounded IN lists
        chunk = keys[start : start + 500]
        docs = session.execute(
            select(
                Document.id,
                Document.source_system,
                Document.source_document_id,
                Document.doc_type,
                Document.state,
            ).where(
                Document.parent_id.is_(None),
                tuple_(Document.source_system, Document.source_document_id).in_(chunk),
            )
        )
        for doc_id, system, source_id, doc_type, state in docs:
            entry = _Seen(doc_type, state == RowState.INDEXED, {}, [], False)
            seen[(system, source_id)] = by_id[doc_id] = entry
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk_ids = ids[start : start + 500]
        links = session.execute(
            select(DocumentLink.document_id, DocumentLink.person_id, DocumentLink.method).where(
                DocumentLink.document_id.in_(chunk_ids), DocumentLink.method != MANUAL
            )
        )
        for doc_id, person_id, method in links:
            by_id[doc_id].auto[person_id] = method
        items = session.execute(
            select(ExceptionItem.document_id, ExceptionItem.candidates)
            .where(
                ExceptionItem.document_id.in_(chunk_ids),
                ExceptionItem.status == "open",
                ExceptionItem.kind.not_in(CONTENT_EXCEPTION_KINDS),
            )
            .order_by(ExceptionItem.id)
        )
        for doc_id, candidates in items:
            entry = by_id[doc_id]
            entry.queued = True
            for person in candidates or []:
                if str(person) not in entry.candidates:
                    entry.candidates.append(str(person))
    return seen


def measure_linking(session: Session, truth: list[TruthDocument]) -> LinkingQuality:
    """The figures of the catalog's links, queue and types against the truth."""
    seen = _catalog(session, truth)
    counts: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    types: list[tuple[str, str]] = []
    for t in truth:
        doc = seen.get((t.source_system, t.source_document_id))
        if doc is None:
            continue
        counts["documents"] += 1
        wrong = set(doc.auto) - t.person_ids
        counts["auto_links"] += len(doc.auto)
        counts["wrong"] += len(wrong)
        if t.linkable and t.person_ids:
            counts["linkable"] += 1
            counts["true_pairs"] += len(t.person_ids)
            counts["found_pairs"] += len(t.person_ids & set(doc.auto))
        missing = t.person_ids - set(doc.auto)
        if doc.queued and t.linkable and missing:
            counts["reviewed"] += 1
            counts["top3"] += missing <= set(doc.candidates[:TOP_N])
        if t.misfiled:
            counts["misfiled"] += 1
            linked_right = bool(doc.auto) and not wrong
            counts["caught"] += not wrong and (doc.queued or linked_right)
        if doc.queued:
            paths["review"] += 1
        elif doc.auto:
            for method in sorted(set(doc.auto.values())):
                paths[method] += 1
        else:
            paths["unlinked"] += 1
        if t.doc_type and doc.indexed:
            types.append((t.doc_type, doc.doc_type or "(none)"))
    return LinkingQuality(
        documents=counts["documents"],
        linkable=counts["linkable"],
        auto_links=counts["auto_links"],
        wrong_auto_links=counts["wrong"],
        link_precision=_rate(counts["auto_links"] - counts["wrong"], counts["auto_links"]),
        auto_recall=_rate(counts["found_pairs"], counts["true_pairs"]),
        misfiled=counts["misfiled"],
        misfiled_caught=counts["caught"],
        misfiled_caught_rate=_rate(counts["caught"], counts["misfiled"]),
        reviewed=counts["reviewed"],
        review_top3=counts["top3"],
        review_top3_rate=_rate(counts["top3"], counts["reviewed"]),
        paths=dict(sorted(paths.items())),
        typed=len(types),
        type_macro_f1=macro_f1(types),
    )
