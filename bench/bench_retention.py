"""Retention at scale: evaluate and sweep N synthetic documents; verify an N-event audit chain.

    .venv/bin/python -m bench.bench_retention --rows 1000000

Synthetic people, documents and links are bulk-inserted straight into a fresh SQLite catalog
(no pipeline). Each figure is printed beside a baseline measured in the same run over the same
rows: a bare loop that reads them and does nothing, so the ratio is the cost of the rules.
The sweep runs twice: cold (every document decided for the first time, every due one proposed)
and warm (nothing changed since, so every decision is kept and nothing new is proposed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from catalog import audit
from catalog.db import session_factory
from catalog.schema import migrate
from retention import disposal
from retention.evaluate import Evaluator
from retention.schedule import load_schedule

TODAY = date(2024, 6, 1)
_TYPES = ("case_note", "assessment", "correspondence", "complaint", "adoption", "cp_conference")
_NOW = "2024-01-01 00:00:00.000000"


def _people(rng: random.Random, n: int) -> list[tuple[object, ...]]:
    rows = []
    for i in range(n):
        children = rng.random() < 0.5
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        extra: dict[str, str] = {}
        if rng.random() < 0.9:
            extra["case_closure_date"] = (born + timedelta(days=rng.randrange(20_000))).isoformat()
        if children and rng.random() < 0.3:
            extra["looked_after"] = "yes"
        dob = born.isoformat() if rng.random() < 0.95 else None
        service = "children" if children else "adults"
        rows.append((f"P{i}", "", "", "", dob, None, "", service, json.dumps(extra), _NOW))
    return rows


def build(db: Path, rows: int, seed: int) -> str:
    """A migrated catalog holding `rows` documents on rows/20 people (1.2 links a document).

    Twenty documents a person is below Walsall's live cases (450,000 documents on 10,000).
    """
    url = f"sqlite:///{db}"
    migrate(url)
    rng = random.Random(seed)
    people = max(1, rows // 20)
    con = sqlite3.connect(db)
    con.executemany("INSERT INTO people VALUES (?,?,?,?,?,?,?,?,?,?)", _people(rng, people))
    docs, links = [], []
    for i in range(1, rows + 1):
        confidence = 0.95 if rng.random() < 0.9 else 0.4
        docs.append(
            (
                i,
                "BENCH",
                f"D{i}",
                None,
                1,
                None,
                "",
                "",
                "",
                "",
                "",
                0,
                None,
                "",
                rng.choice(_TYPES),
                confidence,
                "",
                0,
                "indexed",
                None,
                "",
                0,
                0,
                "",
                "{}",
                "b",
                _NOW,
                _NOW,
            )
        )
        owners = {rng.randrange(people)} | (
            {rng.randrange(people)} if rng.random() < 0.2 else set()
        )
        links.extend((i, f"P{p}", "crosswalk", "bench", "bench", _NOW) for p in owners)
    columns = (
        "id, source_system, source_document_id, parent_id, version, sha256, original_name, title, "
        "legacy_doc_type, legacy_person_ids, mime, extension_mismatch, document_date, "
        "date_source, doc_type, type_confidence, type_reason, type_confirmed, state, reason, "
        "detail, pages, ocr_pages, engine, extra, batch, created_at, updated_at"
    )
    con.executemany(f"INSERT INTO documents ({columns}) VALUES ({','.join('?' * 28)})", docs)
    con.executemany(
        "INSERT INTO document_links (document_id, person_id, method, reason, created_by, "
        "created_at) VALUES (?,?,?,?,?,?)",
        links,
    )
    con.commit()
    con.close()
    return url


def bare_loop(db: Path) -> float:
    """Read the same documents and links and do nothing with them."""
    start = time.perf_counter()
    con = sqlite3.connect(db)
    for _ in con.execute("SELECT id, doc_type, type_confidence, type_confirmed FROM documents"):
        pass
    for _ in con.execute("SELECT document_id, person_id FROM document_links"):
        pass
    for _ in con.execute("SELECT person_id, date_of_birth, service, extra FROM people"):
        pass
    con.close()
    return time.perf_counter() - start


def _sweep(url: str) -> tuple[float, dict[str, int]]:
    """One sweep (evaluate everything, propose what is due) in its own session, timed."""
    evaluator = Evaluator(load_schedule())
    with session_factory(url)() as session:
        start = time.perf_counter()
        _proposal, summary = disposal.sweep(session, evaluator, actor="bench", today=TODAY)
        session.commit()
        return time.perf_counter() - start, summary


def bench_sweep(db: Path, url: str) -> None:
    """A cold sweep (every document decided for the first time), then a warm one (nothing
    changed since: every decision kept, nothing new to propose)."""
    cold, first = _sweep(url)
    warm, second = _sweep(url)
    bare = bare_loop(db)
    statuses = {k: first[k] for k in ("due", "retained", "scheduled") if k in first}
    total = sum(statuses.values())
    print(f"documents                 {total:>12,}   {statuses}")
    for name, took, summary in (("cold", cold, first), ("warm", warm, second)):
        print(
            f"sweep {name} (eval+propose) {took:>9.1f} s   {total / took:>10,.0f} docs/s"
            f"   decided {summary.get('evaluated', 0):,} kept {summary.get('unchanged', 0):,}"
            f"   proposed {summary['proposed']:,}   bare loop {bare:.1f} s"
            f"   ratio {took / bare:.1f}x   target < 60 s: {'met' if took < 60 else 'MISSED'}"
        )


def _events(db: Path, n: int) -> None:
    """A valid chain of n events, as record() would write them, bulk-inserted."""
    prev, rows, start = audit.GENESIS, [], datetime(2024, 1, 1)
    for i in range(1, n + 1):
        at = start + timedelta(microseconds=i * 1001)
        fields = {
            "at": at.isoformat(),
            "actor": f"api:u{i % 50}",
            "action": "view",
            "target_type": "document",
            "target_id": str(i),
            "person_ids": f"P{i % 9999}",
            "on_behalf_of": "",
            "why": "",
            "detail": {},
        }
        digest = audit._digest(prev, fields)
        rows.append(
            (
                i,
                at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                fields["actor"],
                "view",
                "document",
                str(i),
                fields["person_ids"],
                "",
                "",
                "{}",
                prev,
                digest,
            )
        )
        prev = digest
    con = sqlite3.connect(db)
    con.execute("DELETE FROM audit_events")
    con.executemany(f"INSERT INTO audit_events VALUES ({','.join('?' * 12)})", rows)
    con.execute("UPDATE audit_chain_head SET hash = ?, count = ?", (prev, n))
    con.commit()
    con.close()


def bench_audit(db: Path, url: str, n: int) -> None:
    _events(db, n)
    with session_factory(url)() as session:
        start = time.perf_counter()
        problems = audit.verify_chain(session)
        verified = time.perf_counter() - start
    start = time.perf_counter()
    con = sqlite3.connect(db)
    for row in con.execute("SELECT * FROM audit_events ORDER BY id"):
        hashlib.sha256(row[11].encode()).hexdigest()
    con.close()
    bare = time.perf_counter() - start
    print(
        f"audit verify              {verified:>10.1f} s   {n / verified:>10,.0f} events/s"
        f"   bare read+hash {bare:.1f} s   ratio {verified / bare:.1f}x"
        f"   problems {len(problems)}   target < 30 s: {'met' if verified < 30 else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--events", type=int, help="audit events (default: --rows)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "catalog.sqlite"
        start = time.perf_counter()
        url = build(db, args.rows, args.seed)
        print(f"built {args.rows:,} documents in {time.perf_counter() - start:.1f} s")
        bench_sweep(db, url)
        bench_audit(db, url, args.events or args.rows)


if __name__ == "__main__":
    main()
