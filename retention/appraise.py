"""Evaluate documents in bulk and keep each one's decision in retention_decisions.

Documents are read in pages of IDs with their links straight through the driver, people's facts
once, and decisions are written back with one executemany per page. Each decision keeps a digest
of its inputs (the document's type, confidence, dates and source, its people and their facts,
any reviewer's override, the schedule version and ENGINE); a document whose digest is unchanged
keeps its decision, so a sweep over a settled catalog reads but does not decide again. Whether a
date has passed depends on the day, not on the inputs: two UPDATEs move decisions between
"scheduled" and "due" first. Where a store is given, the blobs of the documents decided again
get their Object Lock retention and legal holds (retention/locks.py).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models_retention import RetentionDecision, RetentionOverride
from core.clock import utcnow
from domain.vocabulary import CONFIDENT
from retention import locks
from retention.bulk import CHUNK, Driver, no_cycle_collection
from retention.evaluate import DUE, SCHEDULED, Decision, Evaluator, Override
from retention.facts import Facts, load_facts
from storage.base import BlobStore

# Bump when the evaluation code changes what it decides without the schedule changing: every
# document's digest changes, so every document is decided again.
ENGINE = "2"
PAGE = 20_000
DESTROYED = "destroyed"
_DOCS = (
    "SELECT id, doc_type, type_confidence, type_confirmed, source_system, document_date, "
    "updated_at FROM documents WHERE state != ? AND"
)
_DECISION_COLUMNS = (
    "document_id, status, record_class, classes, retain_until, reason, action, children, "
    "rule_version, evaluated_at, inputs"
)


def facts_digest(facts: Facts) -> str:
    """A short stable digest of one person's facts."""
    text = repr(sorted(facts.items()))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _links(db: Driver, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    query = "SELECT document_id, person_id FROM document_links WHERE"
    for document_id, person_id in db.by_ids(query, "document_id", ids):
        found[document_id].append(person_id)
    return found


def _overrides(db: Driver, session: Session, ids: Sequence[int]) -> dict[int, Override]:
    sql = "SELECT document_id FROM retention_overrides WHERE"
    found = sorted({row[0] for row in db.by_ids(sql, "document_id", ids)} & set(ids))
    overrides: dict[int, Override] = {}
    for start in range(0, len(found), CHUNK):  # rare: read through the ORM for typed dates
        query = select(RetentionOverride).where(
            RetentionOverride.document_id.in_(found[start : start + CHUNK])
        )
        for row in session.scalars(query):
            overrides[row.document_id] = Override(row.record_class, row.retain_until)
    return overrides


def _pages(db: Driver, wanted: list[int] | None, page: int) -> Iterator[list[tuple[Any, ...]]]:
    """Documents not destroyed, in pages by ID (all of them, or the wanted ones)."""
    if wanted is None:
        last = 0
        while rows := db.rows(f"{_DOCS} id > ? ORDER BY id LIMIT ?", (DESTROYED, last, page)):
            yield rows
            last = rows[-1][0]
        return
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = db.rows(f"{_DOCS} id IN ({marks}) ORDER BY id", (DESTROYED, *chunk))
        if rows:
            yield rows


def _refresh_status(session: Session, today: date) -> None:
    """Decisions whose date has passed by `today` become due (and back, for an earlier day)."""
    table = RetentionDecision
    session.execute(
        update(table)
        .where(table.status == SCHEDULED, table.retain_until < today)
        .values(status=DUE)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(table)
        .where(table.status == DUE, table.retain_until >= today)
        .values(status=SCHEDULED)
        .execution_options(synchronize_session=False)
    )


class _Page:
    """One page's evaluation: inputs digested, unchanged decisions kept, the rest decided."""

    def __init__(self, evaluator: Evaluator, facts: dict[str, Facts], today: date) -> None:
        self.evaluator, self.facts, self.today = evaluator, facts, today
        self.prefix = f"{ENGINE}|{evaluator.version}|"
        self.digests: dict[str, str] = {}

    def _people(self, person_ids: list[str]) -> str:
        parts = []
        for pid in person_ids:
            digest = self.digests.get(pid)
            if digest is None:
                facts = self.facts.get(pid)
                digest = self.digests[pid] = facts_digest(facts) if facts is not None else "-"
            parts.append(f"{pid}:{digest}")
        return ";".join(parts)

    def run(
        self,
        rows: Sequence[tuple[Any, ...]],
        links: dict[int, list[str]],
        overrides: dict[int, Override],
        stored: dict[int, tuple[str, str]],
        *,
        full: bool,
        counts: Counter[str],
    ) -> list[tuple[int, Decision, str]]:
        decided = []
        for document_id, doc_type, confidence, confirmed, source, when, updated in rows:
            people = sorted(links.get(document_id, ()))
            override = overrides.get(document_id)
            unsure = not confirmed and confidence < CONFIDENT
            text = (
                f"{self.prefix}{doc_type}|{unsure:d}|{override!r}|{self._people(people)}|"
                f"{source}|{when}|{updated}"
            )
            inputs = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            before = stored.get(document_id)
            if before is not None and before[0] == inputs and not full:
                counts[before[1]] += 1
                counts["unchanged"] += 1
                continue
            decision = self.evaluator.decide(
                doc_type=doc_type,
                confidence=confidence,
                confirmed=bool(confirmed),
                people=[(p, self.facts.get(p, {})) for p in people],
                today=self.today,
                override=override,
            )
            counts[decision.status] += 1
            counts["evaluated"] += 1
            decided.append((document_id, decision, inputs))
        return decided


def _write(db: Driver, decided: list[tuple[int, Decision, str]], replace: list[int]) -> None:
    """Replace the old decisions of these documents with the new ones, in one executemany."""
    db.delete_ids("retention_decisions", "document_id", replace)
    stamp = db.value(utcnow())
    # Decisions are shared by many documents: each one's columns are formatted once.
    columns: dict[int, tuple[Any, ...]] = {}
    rows = []
    for document_id, d, inputs in decided:
        tail = columns.get(id(d))
        if tail is None:
            tail = columns[id(d)] = (
                d.status,
                d.record_class,
                ";".join(d.classes),
                db.value(d.retain_until),
                d.reason,
                d.action,
                db.value(d.children),
                d.rule_version,
                stamp,
            )
        rows.append((document_id, *tail, inputs))
    db.executemany(
        f"INSERT INTO retention_decisions ({_DECISION_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
        stored_format=True,
    )


def evaluate(
    session: Session,
    evaluator: Evaluator,
    *,
    today: date,
    store: BlobStore | None = None,
    document_ids: Iterable[int] | None = None,
    page: int = PAGE,
    full: bool = False,
) -> Counter[str]:
    """(Re-)evaluate every document, or these, deciding again only where inputs changed (all
    where `full`); returns how many are in each status, how many were decided again
    ("evaluated") and kept ("unchanged"), and what was sent to the store."""
    with no_cycle_collection():
        return _evaluate(session, evaluator, today, store, document_ids, page, full)


def _evaluate(
    session: Session,
    evaluator: Evaluator,
    today: date,
    store: BlobStore | None,
    document_ids: Iterable[int] | None,
    page: int,
    full: bool,
) -> Counter[str]:
    db = Driver(session)
    _refresh_status(session, today)
    wanted = sorted(set(document_ids)) if document_ids is not None else None
    evaluator.reset()
    facts = load_facts(session) if wanted is None else None
    counts: Counter[str] = Counter()
    changed: list[int] = []
    page_state = _Page(evaluator, facts or {}, today)
    for rows in _pages(db, wanted, page):
        ids = [row[0] for row in rows]
        links = _links(db, ids)
        if facts is None:
            people = {p for ps in links.values() for p in ps}
            page_state.facts = load_facts(session, people)
            page_state.digests.clear()
        query = "SELECT document_id, inputs, status FROM retention_decisions WHERE"
        stored = {i: (inputs, status) for i, inputs, status in db.by_ids(query, "document_id", ids)}
        decided = page_state.run(
            rows, links, _overrides(db, session, ids), stored, full=full, counts=counts
        )
        _write(db, decided, [i for i, _, _ in decided if i in stored])
        changed.extend(i for i, _, _ in decided)
    if store is not None and changed:
        counts.update(locks.sync(session, store, changed))
    return counts


def preview(
    session: Session, evaluator: Evaluator, *, as_of: date, page: int = PAGE
) -> tuple[Counter[str], list[int]]:
    """Every document decided afresh as of `as_of`, read only: nothing is written, no stored
    decision moves and no store lock changes. Returns the counts by status and the due IDs."""
    with no_cycle_collection():
        db = Driver(session)
        evaluator.reset()
        counts: Counter[str] = Counter()
        page_state = _Page(evaluator, load_facts(session), as_of)
        due: list[int] = []
        for rows in _pages(db, None, page):
            ids = [row[0] for row in rows]
            overrides = _overrides(db, session, ids)
            decided = page_state.run(rows, _links(db, ids), overrides, {}, full=True, counts=counts)
            due.extend(i for i, d, _ in decided if d.status == DUE)
        return counts, due


def evaluate_and_audit(
    session: Session,
    evaluator: Evaluator,
    *,
    actor: str,
    today: date,
    store: BlobStore | None = None,
    document_ids: Iterable[int] | None = None,
    full: bool = False,
) -> Counter[str]:
    """evaluate(), with one audit event naming the rule version and the counts."""
    counts = evaluate(
        session, evaluator, today=today, store=store, document_ids=document_ids, full=full
    )
    audit.record(
        session,
        actor=actor,
        action="retention_evaluate",
        target_type="schedule",
        target_id=evaluator.version,
        detail={"as_of": today.isoformat(), "full": full, "counts": dict(counts)},
    )
    return counts
