"""How good a load's linking and classification are, measured against a ground truth.

The ground truth is a CSV with one line per document: source_document_id, person_ids (the
people it is truly about, ";"-separated; `person_id` is read the same) and, when known,
source_system (without it a document is found by its ID alone), linkable (1/0: the archive
holds the evidence to find them), misfiled (non-empty when the manifest put it on someone
else) and doc_type. `escr synth --noise` writes one (truth.csv, workers/synth/truth.py; its
expected.csv reads too); a migration can write its own from a sample its officers checked. A
document's later lines are ignored (the first says what it is). bench/bench_linking.py and
`escr quality BATCH --truth FILE` (records/quality_report.py) print these figures.

A link is automatic unless a person made it (method `manual`). Precision matters more than
recall: a document on the wrong child's record is a data breach.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Document, DocumentLink, ExceptionItem
from core.errors import InvalidInput
from core.states import RowState
from domain.vocabulary import CONTENT_EXCEPTION_KINDS

MANUAL = "manual"
TOP_N = 3  # a reviewer reads the first few candidates; the right one must be among them

# Issue 14's targets on a noisy archive, by LinkingQuality figure: (at most | at least, bound).
# The type model's cross-validated macro-F1 is held to type_macro_f1's.
TARGETS: dict[str, tuple[str, float]] = {
    "wrong_auto_links": ("at most", 0),
    "auto_recall": ("at least", 0.9),
    "misfiled_caught_rate": ("at least", 0.95),
    "review_top3_rate": ("at least", 0.95),
    "type_macro_f1": ("at least", 0.9),
}


def meets_target(figure: str, value: float | None) -> bool | None:
    """Whether a figure meets its target; None when it has none or nothing was measured."""
    if figure not in TARGETS or value is None:
        return None
    way, bound = TARGETS[figure]
    return value <= bound if way == "at most" else value >= bound


# The decision paths a document can take, in the order a report lists them, with what each
# means for a migration lead (a link method not named here reads as an automatic one).
PATH_MEANINGS = {
    "crosswalk": "linked automatically through the crosswalk (the manifest's legacy person ID), "
    "the text not contradicting it",
    "probable": "linked automatically by probabilistic matching (name, date of birth, NHS "
    "number, address) above the upper threshold, its evidence stored with the link",
    MANUAL: "linked by a reviewer from the exception queue",
    "review": "waiting in the exception queue for a person to decide",
    "unlinked": "on no one's record and not queued (nothing to link it by)",
}


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
    paths: dict[str, int]  # documents by decision_path (automatic links only)
    typed: int  # indexed documents with a true type (no catalog type counts as a wrong one)
    type_macro_f1: float | None
    type_confusion: Confusion  # the catalog's types against the true ones


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix: counts[i][j] documents of true type classes[i] typed classes[j]."""

    classes: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


def confusion(pairs: Iterable[tuple[str, str]]) -> Confusion:
    """The confusion matrix of (true, predicted) labels over every label either side uses."""
    counted = Counter(pairs)
    classes = tuple(sorted({label for pair in counted for label in pair}))
    return Confusion(classes, tuple(tuple(counted[(t, p)] for p in classes) for t in classes))


def read_truth(path: Path) -> list[TruthDocument]:
    """The ground truth CSV file (columns in the module docstring)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return parse_truth(fh)


def _column(name: str | None) -> str:
    """A header cell as written by hand or by a spreadsheet (which may start with a BOM)."""
    return (name or "").strip().lstrip("\ufeff").strip()


def parse_truth(lines: Iterable[str]) -> list[TruthDocument]:
    """The ground truth from CSV lines; InvalidInput naming what is missing when it is not one.
    Absent optional columns default; a document's later lines are ignored."""
    reader = csv.DictReader(lines)
    columns = {_column(c) for c in reader.fieldnames or ()}
    people_column = "person_ids" if "person_ids" in columns else "person_id"
    missing = {"source_document_id", people_column} - columns
    if missing:
        raise InvalidInput(
            f"the ground truth needs the columns source_document_id and person_ids; "
            f"missing: {', '.join(sorted(missing))}"
        )
    out: dict[tuple[str, str], TruthDocument] = {}
    for raw in reader:
        row = {_column(k): v.strip() for k, v in raw.items() if isinstance(v, str)}
        key = (row.get("source_system", ""), row.get("source_document_id", ""))
        if not key[1] or key in out:
            continue
        people = frozenset(p.strip() for p in row.get(people_column, "").split(";") if p.strip())
        linkable = row.get("linkable")
        out[key] = TruthDocument(
            source_system=key[0],
            source_document_id=key[1],
            person_ids=people,
            linkable=bool(people) if linkable is None else linkable == "1",
            misfiled=bool(row.get("misfiled")),
            doc_type=row.get("doc_type", ""),
        )
    return list(out.values())


def decision_path(queued: bool, methods: Collection[str]) -> str:
    """The one path a document took: `review` while a link exception is open, else how it was
    linked (a reviewer's decision first, then the crosswalk, then any other method), else
    `unlinked`."""
    if queued:
        return "review"
    for method in (MANUAL, "crosswalk", *sorted(methods)):
        if method in methods:
            return method
    return "unlinked"


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


def _catalog(
    session: Session, truth: list[TruthDocument], batch: str | None
) -> dict[tuple[str, str], _Seen]:
    """The documents of the truth (of `batch` only, when given), by (system, ID); a truth line
    without a system finds the one document of its ID (an ID several systems use, none)."""
    source_ids = sorted({t.source_document_id for t in truth})
    seen: dict[tuple[str, str], _Seen] = {}
    by_id: dict[int, _Seen] = {}
    by_source_id: dict[str, list[_Seen]] = {}
    for start in range(0, len(source_ids), 500):  # bounded IN lists
        chunk = source_ids[start : start + 500]
        query = select(
            Document.id,
            Document.source_system,
            Document.source_document_id,
            Document.doc_type,
            Document.state,
        ).where(Document.parent_id.is_(None), Document.source_document_id.in_(chunk))
        if batch is not None:
            query = query.where(Document.batch == batch)
        for doc_id, system, source_id, doc_type, state in session.execute(query):
            entry = _Seen(doc_type, state == RowState.INDEXED, {}, [], False)
            seen[(system, source_id)] = by_id[doc_id] = entry
            by_source_id.setdefault(source_id, []).append(entry)
    for source_id, entries in by_source_id.items():
        if len(entries) == 1:
            seen[("", source_id)] = entries[0]
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


def measure_linking(
    session: Session, truth: list[TruthDocument], *, batch: str | None = None
) -> LinkingQuality:
    """The figures of the catalog's links, queue and types against the truth: of every
    document it names, or of those `batch` last stored."""
    seen = _catalog(session, truth, batch)
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
        paths[decision_path(doc.queued, set(doc.auto.values()))] += 1
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
        type_confusion=confusion(types),
    )
