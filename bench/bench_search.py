"""Embedded search latency: tantivy (EmbeddedIndex) and SQLite FTS5 side by side, one run.

    .venv/bin/python -m bench.bench_search --docs 100000

Builds the same synthetic archive into both engines (500 documents per upsert, as a loader
does), then times the same queries on each: p50/p95 in ms, with the FTS5/tantivy ratio.
Every query asks for totals, facets and highlights, as the search page does.

    .venv/bin/python -m bench.bench_search --docs 1000000 --access-filter [--engines opensearch]

The access-filtered run (issue 12, cost curve): documents of ~2 KB of text, rebuilt straight
into each engine through its `rebuild`, then a warm query mix through a practitioner's filter
as records/access.search_filter builds it (a few hundred allowed people, the restricted
classes excluded): p50/p95/p99. OpenSearch needs `eval "$(scripts/services.sh env)"`; its
index is an alias of its own (escr-bench-...), dropped at the end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from bench.fts5_index import Fts5Index
from indexer.base import SearchDocument, SearchIndex, SearchQuery
from indexer.embedded import EmbeddedIndex

# Word lists read better as blocks of text than as list literals.
_HEAD = """
visit home child mother father school plan meeting review concerns social worker family
care support health contact placement assessment report letter court order foster carer
said told seen bedroom kitchen safe safety risk protection conference strategy police
referral hospital doctor nurse appointment medication behaviour education attendance
sibling brother sister grandmother grandparent partner relationship domestic abuse neglect
injury bruise explained agreed discussed observed appeared happy upset angry tired clean
house food money benefits housing tenancy rent arrears telephone call email text message
update outcome decision manager supervision team duty allocated case record note direct
work wishes feelings voice advocate independent reviewing officer looked after leaving
adoption permanence respite short break disability autism communication speech therapy
mental wellbeing anxiety depression substance alcohol drugs smoking youth offending
""".split()  # noqa: SIM905
_SYLLABLES = """
ba be bi bo bu da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se
si so ta te ti to va ve vi vo
""".split()  # noqa: SIM905
_TYPES = (
    ["case_note"] * 8
    + ["assessment"] * 3
    + ["letter"] * 3
    + ["review", "court_report", "referral", "plan", "meeting_minutes", "medical", "photo_id"]
)
_SOURCES = ["mosaic", "liquidlogic", "carefirst"]
BATCH = 500


def vocabulary(rng: random.Random, tail: int = 20_000) -> tuple[list[str], list[float]]:
    """Social-care head words then invented tail words, with Zipf cumulative weights."""
    words = list(dict.fromkeys(_HEAD))
    seen = set(words)
    while len(words) < len(_HEAD) + tail:
        word = "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 8) ** 1.05  # the +8 flattens the head, as real notes do
        cumulative.append(total)
    return words, cumulative


def synthetic_documents(n: int, people: int, seed: int = 7) -> Iterator[SearchDocument]:
    """n documents, each on one or two of `people` people (1% on nobody)."""
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    person_ids = [f"P{i:06d}" for i in range(people)]
    first = date(2000, 1, 1)
    for doc_id in range(1, n + 1):
        body = rng.choices(words, cum_weights=weights, k=rng.randint(60, 260))
        for at in range(12, len(body), 13):
            body[at] += "."
        roll = rng.random()
        persons = () if roll < 0.01 else tuple(rng.sample(person_ids, 1 if roll < 0.7 else 2))
        doc_type = rng.choice(_TYPES)
        yield SearchDocument(
            document_id=doc_id,
            title=f"{doc_type.replace('_', ' ').title()} {' '.join(body[:3])}",
            text=" ".join(body),
            source_system=rng.choice(_SOURCES),
            source_document_id=f"SRC-{doc_id}",
            person_ids=persons,
            doc_type=doc_type,
            document_date=None if rng.random() < 0.03 else first + timedelta(rng.randrange(9000)),
        )


def load(index: SearchIndex, docs: list[SearchDocument]) -> float:
    """Upsert in loader-sized batches; returns documents per second."""
    started = time.perf_counter()
    for at in range(0, len(docs), BATCH):
        index.upsert(docs[at : at + BATCH])
    return len(docs) / (time.perf_counter() - started)


def query_sets(
    docs: list[SearchDocument], people: int, rng: random.Random
) -> dict[str, list[SearchQuery]]:
    """Named lists of queries; each list is timed as one row."""
    df: Counter[str] = Counter()
    for d in docs[:5000]:  # a sample is enough to rank terms by document frequency
        df.update({w.rstrip(".") for w in d.text.split()})
    ranked = [w for w, _ in df.most_common()]
    common = [w for w in ranked[:40] if w in _HEAD][:10]
    rare = [w for w, c in df.items() if c == 2][:200]  # about 40 documents in 100,000
    pid = [f"P{i:06d}" for i in range(people)]

    def many(make: Callable[[], SearchQuery], n: int = 60) -> list[SearchQuery]:
        return [make() for _ in range(n)]

    return {
        "common term": many(lambda: SearchQuery(text=rng.choice(common), facets=True)),
        "two common terms": many(
            lambda: SearchQuery(text=" ".join(rng.sample(common, 2)), facets=True)
        ),
        "rare term": many(lambda: SearchQuery(text=rng.choice(rare), facets=True)),
        "common + person filter": many(
            lambda: SearchQuery(text=rng.choice(common), person_ids=(rng.choice(pid),), facets=True)
        ),
        "no text + person filter": many(
            lambda: SearchQuery(person_ids=(rng.choice(pid),), facets=True)
        ),
        "common + access filter (50 people)": many(
            lambda: SearchQuery(
                text=rng.choice(common), allowed_person_ids=tuple(rng.sample(pid, 50)), facets=True
            )
        ),
        "common + type + date range": many(
            lambda: SearchQuery(
                text=rng.choice(common),
                doc_types=("case_note",),
                date_from=date(2010, 1, 1),
                date_to=date(2014, 12, 31),
                facets=True,
            )
        ),
    }


def timings(index: SearchIndex, queries: list[SearchQuery]) -> tuple[float, float, float]:
    """p50 and p95 latency in ms, and the mean total hits."""
    for q in queries[:5]:
        index.search(q)  # warm caches, as a running API would be
    spent, totals = [], []
    for q in queries:
        started = time.perf_counter()
        totals.append(index.search(q).total)
        spent.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(spent, n=20)[18]
    return statistics.median(spent), p95, statistics.mean(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument(
        "--people", type=int, default=None, help="default 2,000; --docs / 50 with --access-filter"
    )
    parser.add_argument(
        "--access-filter",
        action="store_true",
        help="the million-document run (bench/access_search.py)",
    )
    parser.add_argument("--engines", default="embedded,opensearch", help="with --access-filter")
    parser.add_argument(
        "--sentences",
        default="8,36",
        help="with --access-filter: sentences a document, low,high (~75 bytes each)",
    )
    parser.add_argument(
        "--queries", type=int, default=100, help="with --access-filter: queries of each kind"
    )
    args = parser.parse_args()
    if args.access_filter:
        from bench.access_search import run

        low, high = (int(x) for x in args.sentences.split(","))
        people = args.people or max(100, args.docs // 50)
        run(args.docs, people, (low, high), args.engines.split(","), args.queries)
        return
    args.people = args.people or 2_000
    started = time.perf_counter()
    docs = list(synthetic_documents(args.docs, args.people))
    print(f"generated {len(docs):,} documents in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="escr-bench-") as tmp:
        tan = EmbeddedIndex(Path(tmp) / "tantivy")
        fts = Fts5Index(Path(tmp) / "index.sqlite")
        print(f"upsert docs/s (batches of {BATCH}): tantivy {load(tan, docs):,.0f}", end="")
        print(f", FTS5 {load(fts, docs):,.0f}")
        sizes = {p.name: p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()}
        fts_mb = sum(v for k, v in sizes.items() if k.startswith("index.sqlite")) / 1e6
        tan_mb = sum(p.stat().st_size for p in (Path(tmp) / "tantivy").rglob("*")) / 1e6
        print(f"on disk: tantivy {tan_mb:,.0f} MB, FTS5 {fts_mb:,.0f} MB")
        sets = query_sets(docs, args.people, random.Random(11))
        header = f"{'query (ms)':36} {'mean hits':>9} | {'tantivy p50':>11} {'p95':>6} |"
        print(header + f" {'FTS5 p50':>8} {'p95':>6} | {'FTS5/tantivy p95':>16}")
        for name, queries in sets.items():
            t50, t95, hits = timings(tan, queries)
            f50, f95, f_hits = timings(fts, queries)
            assert hits == f_hits, f"{name}: the engines disagree on totals"
            print(
                f"{name:36} {hits:9,.0f} | {t50:11.1f} {t95:6.1f} | {f50:8.1f} {f95:6.1f} |"
                f" {f95 / t95:15.1f}x"
            )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
