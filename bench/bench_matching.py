"""Matching at scale: N people against M documents' subject fields, with blocking.

.venv/bin/python -m bench.bench_matching [--people 10000] [--docs 20000] [--batch 5000]

Issue 14's target: 100,000 people against 1,000,000 documents under 10 minutes on two cores.
People are synthetic (names from a large pool, dates of birth over 90 years, NHS numbers,
postcodes); each document names one of them with the noise real texts carry (a nickname, a
typo, a swapped day and month, a missing field). The matcher is loaded once (people into
DuckDB, u estimated by random sampling), then documents are scored in batches as the loader
does. Prints the load and training seconds, pairs scored per document (the blocking's
candidates), documents/s, and the time extrapolated linearly to 1,000,000 documents (scoring
is per batch against a fixed people table, so it grows with documents; stated as an
extrapolation, not a measurement).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

from workers.matching.match import decide
from workers.matching.model import Matcher
from workers.matching.records import record

SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).capitalize()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    rng = random.Random(1)
    surnames = [_word(rng, rng.choice((2, 3))) for _ in range(max(50, args.people // 20))]
    givens = [_word(rng, 2) for _ in range(600)]
    people = []
    truth = []
    for i in range(args.people):
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(90 * 365))
        person = (givens[rng.randrange(len(givens))], rng.choice(surnames), born)
        truth.append(person)
        people.append(
            record(
                f"P{i}",
                given=person[0],
                family=person[1],
                dob=born,
                postcode=f"SY{rng.randint(1, 19)} {rng.randint(1, 9)}AB",
            )
        )
    started = time.perf_counter()
    matcher = Matcher(people, people[:2_000])  # u from random pairs of the people
    load_s = time.perf_counter() - started
    subjects = []
    owner = []
    for d in range(args.docs):
        who = rng.randrange(args.people)
        owner.append(f"P{who}")
        given, family, born = truth[who]
        roll = rng.random()
        if roll < 0.1 and born.day <= 12:
            born = date(born.year, born.day, born.month)  # day and month swapped
        elif roll < 0.2:
            family = family[:-1] + "x"  # a typo
        subjects.append(record(f"{d}:0:0", given=given, family=family, dob=born))
    pairs = links = wrong = 0
    started = time.perf_counter()
    for start in range(0, len(subjects), args.batch):
        scored = matcher.score(subjects[start : start + args.batch])
        pairs += len(scored)
        for document_id, outcome in decide(scored).items():
            if outcome.link:
                links += 1
                wrong += outcome.link.person_id != owner[document_id]
    score_s = time.perf_counter() - started
    per_doc = score_s / args.docs
    print(f"people {args.people}, documents {args.docs}, batch {args.batch}")
    print(f"load people and estimate u: {load_s:.1f} s")
    print(
        f"scoring: {score_s:.1f} s, {args.docs / score_s:.0f} documents/s, "
        f"{pairs / args.docs:.1f} pairs scored a document, {links} automatic links, {wrong} wrong"
    )
    print(
        f"extrapolated to 1,000,000 documents: {per_doc * 1_000_000 / 60:.1f} min of scoring "
        f"(+ the people's load), linear in documents at this people count"
    )


if __name__ == "__main__":
    main()
