"""The person finder (records/finder.py) at scale: people from the synthetic generator in the
embedded SQLite catalog, each kind of search timed many times, p50 and p95 printed, beside the
same searches done the obvious way (a SQL LIKE on the names, which folds neither accents nor
slips) for scale. Decision 0030.

    .venv/bin/python bench/bench_finder.py --people 100000 --queries 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, or_, select

from catalog.db import session_factory
from catalog.models import LegacyId
from catalog.models import Person as PersonRow
from catalog.schema import migrate
from records.access import service_caller
from records.finder import find_people
from records.name_index import name_index
from workers.synth.names import typo
from workers.synth.people import Person, make_people


def _people(rng: random.Random, count: int) -> list[Person]:
    """The generator's people in groups of 5,000 (its CareFirst numbers run out past ~9,000
    people), renumbered so IDs stay unique across the groups."""
    made: list[Person] = []
    while len(made) < count:
        for p in make_people(rng, min(5_000, count - len(made))):
            n = len(made) + 1
            made.append(replace(p, person_id=f"LCS{n:07d}", paris_ids=(str(1_000_000 + n),)))
    return made


def _load(url: str, count: int, rng: random.Random) -> list[dict[str, str]]:
    people = _people(rng, count)
    now = datetime.now(UTC).replace(tzinfo=None)
    factory = session_factory(url)
    with factory() as session:
        session.execute(
            insert(PersonRow),
            [
                {
                    "person_id": p.person_id,
                    "target_system": p.target_system,
                    "given_name": p.given_name,
                    "family_name": p.family_name,
                    "date_of_birth": p.date_of_birth,
                    "nhs_number": p.nhs_number,
                    "service": p.service,
                    "extra": {},
                    "updated_at": now,
                }
                for p in people
            ],
        )
        session.execute(
            insert(LegacyId),
            [
                {"system": "PARIS", "legacy_id": legacy, "person_id": p.person_id}
                for p in people
                for legacy in p.paris_ids
            ],
        )
        session.commit()
    return [
        {
            "name": p.full_name,
            "typo": f"{p.given_name} {typo(rng, p.family_name)}",
            "dob": f"{p.family_name} {p.date_of_birth:%d/%m/%Y}",
            "nhs": f"{p.nhs_number[:3]} {p.nhs_number[3:6]} {p.nhs_number[6:]}",
            "person": p.person_id,
            "legacy": f"PARIS {p.paris_ids[0]}",
        }
        for p in people
    ]


def _times(run: Callable[[], object], n: int) -> tuple[float, float]:
    seen = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        seen.append((time.perf_counter() - start) * 1000)
    seen.sort()
    return statistics.median(seen), seen[int(0.95 * (len(seen) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'catalog.sqlite'}"
        migrate(url)
        started = time.perf_counter()
        samples = _load(url, args.people, rng)
        print(f"{args.people} people loaded in {time.perf_counter() - started:.1f} s")
        factory = session_factory(url)
        caller = service_caller("bench")
        with factory() as session:
            started = time.perf_counter()
            name_index(session)
            print(f"name index built in {(time.perf_counter() - started) * 1000:.0f} ms")
            print(f"{'search':<8} {'finder p50':>11} {'finder p95':>11} {'LIKE p50':>9}")
            for kind in ("name", "typo", "dob", "nhs", "person", "legacy"):
                picks = [rng.choice(samples)[kind] for _ in range(args.queries)]
                words = iter(picks * 2)

                def finder_run(words: Iterator[str] = words) -> None:
                    find_people(session, caller=caller, text=next(words), limit=20)
                    session.rollback()  # the audit event is not what is timed

                likes = iter(picks)

                def like_run(likes: Iterator[str] = likes) -> None:
                    word = f"%{next(likes).split()[-1]}%"
                    session.execute(
                        select(PersonRow.person_id)
                        .where(
                            or_(PersonRow.family_name.like(word), PersonRow.given_name.like(word))
                        )
                        .limit(20)
                    ).all()

                p50, p95 = _times(finder_run, args.queries)
                like50, _ = _times(like_run, args.queries)
                print(f"{kind:<8} {p50:>9.1f}ms {p95:>9.1f}ms {like50:>7.1f}ms")


if __name__ == "__main__":
    main()
