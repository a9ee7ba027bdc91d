"""The blob store's own locks (S3 Object Lock, governance mode) kept in step with the catalog.

A blob may hold the content of several documents (and of older versions), so what it needs is
worked out over every surviving document that shares it: the latest known disposal date, and a
legal hold while any active hold covers any of them. Retention is only ever lengthened: the
date last sent is kept in retention_blob_locks and only a later one is sent. A lock that would
end in the past is not sent (nothing to enforce). The catalog stays the authority: the sweep and
execution check holds and dates themselves; the store is a second line that also stops deletion
by anyone going round the service. The drift report compares the two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models_retention import RetentionBlobLock
from core.clock import utcnow
from core.errors import NotFound, PolicyViolation
from core.logging import get_logger
from retention import hold_match
from retention.bulk import CHUNK, Driver
from storage.base import BlobStore

log = get_logger(__name__)


@dataclass
class Expected:
    """What the catalog says one blob needs."""

    key: str
    documents: set[int] = field(default_factory=set)
    retain_until: date | None = None
    holds: set[int] = field(default_factory=set)


def lock_time(retain_until: date) -> datetime:
    """The instant the store may let go: the end of the last day kept (UTC)."""
    return datetime.combine(retain_until + timedelta(days=1), time(), tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def shas_of(db: Driver, document_ids: Sequence[int]) -> set[str]:
    """The content of these documents and of every version of them."""
    wanted, shas = set(document_ids), set()
    for doc_id, sha in db.by_ids("SELECT id, sha256 FROM documents WHERE", "id", document_ids):
        if doc_id in wanted and sha:
            shas.add(sha)
    query = "SELECT document_id, sha256 FROM document_versions WHERE"
    for doc_id, sha in db.by_ids(query, "document_id", document_ids):
        if doc_id in wanted and sha:
            shas.add(sha)
    return shas


def _in(db: Driver, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    marks = ",".join("?" * len(values))
    return db.rows(f"{sql} IN ({marks})", values)


def expected(session: Session, db: Driver, shas: Sequence[str]) -> dict[str, Expected]:
    """sha256 -> what the catalog says the blob needs (at most CHUNK shas at a time)."""
    blobs = _in(db, "SELECT sha256, key FROM blobs WHERE sha256", shas)
    found = {sha: Expected(key) for sha, key in blobs}
    owners: dict[int, set[str]] = defaultdict(set)
    live = "SELECT id, sha256 FROM documents WHERE state != 'destroyed' AND sha256"
    for doc_id, sha in _in(db, live, shas):
        owners[doc_id].add(sha)
    versions = "SELECT document_id, sha256 FROM document_versions WHERE sha256"
    for doc_id, sha in _in(db, versions, shas):
        owners[doc_id].add(sha)
    ids = sorted(owners)
    decisions = "SELECT document_id, retain_until FROM retention_decisions WHERE"
    for doc_id, until in db.by_ids(decisions, "document_id", ids):
        day = _as_date(until)
        if day is None or doc_id not in owners:
            continue
        for sha in owners[doc_id]:
            blob = found.get(sha)
            if blob is not None and (blob.retain_until is None or day > blob.retain_until):
                blob.retain_until = day
    current = hold_match.active_holds(session)
    held = hold_match.holds_on(session, ids, current) if current else {}
    for doc_id, shas_of_doc in owners.items():
        for sha in shas_of_doc & found.keys():
            found[sha].documents.add(doc_id)
            found[sha].holds.update(held.get(doc_id, ()))
    return found


def _chunks(shas: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(shas)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _applied(session: Session, shas: Sequence[str]) -> dict[str, RetentionBlobLock]:
    query = select(RetentionBlobLock).where(RetentionBlobLock.sha256.in_(shas))
    return {row.sha256: row for row in session.scalars(query)}


def sync(session: Session, store: BlobStore, document_ids: Sequence[int]) -> Counter[str]:
    """Send the store the retention floor and legal holds the blobs of these documents need.

    Only lengthens retention and only turns holds on: release_blobs() turns them off.
    """
    db, counts, now = Driver(session), Counter[str](), datetime.now(UTC)
    for chunk in _chunks(shas_of(db, document_ids)):
        applied = _applied(session, chunk)
        for sha, blob in expected(session, db, chunk).items():
            row = applied.get(sha)
            if row is None:
                row = RetentionBlobLock(
                    sha256=sha, key=blob.key, legal_hold=False, updated_at=utcnow()
                )
                session.add(row)
            until = blob.retain_until
            later = until is not None and (row.retain_until is None or until > row.retain_until)
            if until is not None and later and lock_time(until) > now:
                try:
                    store.set_retention(blob.key, lock_time(until))
                except PolicyViolation as exc:  # the store already keeps it longer
                    log.warning("retention.lock_refused", key=blob.key, error=str(exc))
                    counts["retention_refused"] += 1
                else:
                    row.retain_until, row.updated_at = until, utcnow()
                    counts["retention_set"] += 1
            if blob.holds and not row.legal_hold:
                store.set_legal_hold(blob.key, True)
                row.legal_hold, row.updated_at = True, utcnow()
                counts["legal_hold_set"] += 1
    session.flush()
    return counts


def release_blobs(session: Session, store: BlobStore, document_ids: Sequence[int]) -> int:
    """Clear the store's legal hold on these documents' blobs where no active hold covers any
    document sharing the blob; returns how many were cleared."""
    db, cleared = Driver(session), 0
    for chunk in _chunks(shas_of(db, document_ids)):
        applied = _applied(session, chunk)
        for sha, blob in expected(session, db, chunk).items():
            if blob.holds:
                continue
            store.set_legal_hold(blob.key, False)
            cleared += 1
            row = applied.get(sha)
            if row is not None:
                row.legal_hold, row.updated_at = False, utcnow()
    session.flush()
    return cleared


def drift(session: Session, store: BlobStore) -> dict[str, Any]:
    """Every blob whose store lock differs from what the catalog expects.

    A store retention date later than the catalog's is not drift (retention only lengthens); an
    earlier or missing one is, and so is a legal hold missing or one no active hold explains.
    """
    db, now, report = Driver(session), datetime.now(UTC), []
    checked, last = 0, ""
    while batch := db.rows(
        "SELECT sha256 FROM blobs WHERE sha256 > ? ORDER BY sha256 LIMIT ?", (last, CHUNK)
    ):
        last = batch[-1][0]
        for sha, blob in sorted(expected(session, db, [row[0] for row in batch]).items()):
            try:
                state = store.lock_state(blob.key)
            except NotFound:
                report.append(_entry(sha, blob, None, ["missing from the store"]))
                continue
            if state is None:
                return {"enforced": False, "checked": checked, "drift": []}
            checked += 1
            problems = []
            want = lock_time(blob.retain_until) if blob.retain_until else None
            if (
                want is not None
                and want > now
                and (state.retain_until is None or state.retain_until < want)
            ):
                problems.append("retention shorter than the catalog's date")
            if blob.holds and not state.legal_hold:
                problems.append("legal hold missing")
            if state.legal_hold and not blob.holds:
                problems.append("legal hold that no active hold explains")
            if problems:
                report.append(_entry(sha, blob, state, problems))
    return {"enforced": True, "checked": checked, "drift": report}


def _entry(sha: str, blob: Expected, state: Any, problems: list[str]) -> dict[str, Any]:
    return {
        "sha256": sha,
        "key": blob.key,
        "document_ids": sorted(blob.documents),
        "expected_retain_until": lock_time(blob.retain_until).isoformat()
        if blob.retain_until
        else None,
        "expected_legal_hold": bool(blob.holds),
        "hold_ids": sorted(blob.holds),
        "store_retain_until": state.retain_until.isoformat()
        if state is not None and state.retain_until
        else None,
        "store_legal_hold": state.legal_hold if state is not None else None,
        "problems": problems,
    }
