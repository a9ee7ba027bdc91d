"""Search p50/p95/p99 through a practitioner's access filter at a million documents (issue 12,
cost curve), on the embedded index and on OpenSearch. Run through bench.bench_search
--access-filter; the documents are written straight to each engine by its `rebuild`, not
loaded through the pipeline.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from catalog.access import RESTRICTIONS, TAG_PREFIX
from indexer.base import SearchDocument, SearchIndex, SearchQuery
from records.access import Caller, search_filter

# Sentences of this many words are the unit a document is made of (see sentence_pool).
SENTENCE = 13
# Of every document, the share carrying a restricted class's tag (adoption, staff, sensitive).
RESTRICTED_SHARE = 0.02
ALLOWED_PEOPLE = 300  # a practitioner's caseload through their teams' allocations
_TYPES = (
    ["case_note"] * 8
    + ["assessment"] * 3
    + ["letter"] * 3
    + ["review", "court_report", "referral", "plan", "meeting_minutes", "medical", "photo_id"]
)
_SOURCES = ["mosaic", "liquidlogic", "carefirst"]


def sentence_pool(rng: random.Random, size: int) -> list[str]:
    """`size` sentences drawn word by word from bench_search's Zipf vocabulary. Documents are
    made of pooled sentences because drawing each word of a million 2 KB documents costs an
    hour of Python; the price is that the rarest words reach ~20 documents, not one."""
    from bench.bench_search import vocabulary

    words, weights = vocabulary(rng)
    return [
        " ".join(rng.choices(words, cum_weights=weights, k=SENTENCE)) + "." for _ in range(size)
    ]


def documents(
    n: int, people: int, sentences: tuple[int, int], seed: int = 7
) -> Iterator[SearchDocument]:
    """n documents of `sentences` (low, high) pooled sentences, each on one or two of `people`
    people (1% on nobody), RESTRICTED_SHARE of them tagged with a restricted class."""
    rng = random.Random(seed)
    pool = sentence_pool(rng, max(1000, n))
    person_ids = [f"P{i:06d}" for i in range(people)]
    tags = [(TAG_PREFIX + r,) for r in RESTRICTIONS]
    first = date(2000, 1, 1)
    for doc_id in range(1, n + 1):
        text = " ".join(rng.choices(pool, k=rng.randint(*sentences)))
        roll = rng.random()
        persons = () if roll < 0.01 else tuple(rng.sample(person_ids, 1 if roll < 0.7 else 2))
        doc_type = rng.choice(_TYPES)
        yield SearchDocument(
            document_id=doc_id,
            title=f"{doc_type.replace('_', ' ').title()} {' '.join(text.split()[:3])}",
            text=text,
            source_system=rng.choice(_SOURCES),
            source_document_id=f"SRC-{doc_id}",
            person_ids=persons,
            doc_type=doc_type,
            document_date=None if rng.random() < 0.03 else first + timedelta(rng.randrange(9000)),
            access_tags=rng.choice(tags) if rng.random() < RESTRICTED_SHARE else (),
        )


def practitioner(people: int, rng: random.Random) -> Caller:
    """A practitioner allowed ALLOWED_PEOPLE people and holding no restricted-class grant."""
    everyone = [f"P{i:06d}" for i in range(people)]
    allowed = rng.sample(everyone, min(ALLOWED_PEOPLE, people // 3))
    return Caller(user_id="bench", roles=frozenset({"practitioner"}), people=frozenset(allowed))


def query_mix(
    sample: list[SearchDocument], caller: Caller, rng: random.Random, each: int
) -> dict[str, list[SearchQuery]]:
    """Named lists of queries, each through `caller`'s access filter, as the API sends them
    (totals, facets and highlights)."""
    df: Counter[str] = Counter()
    for d in sample:
        df.update({w.rstrip(".") for w in d.text.split()})
    ranked = [w for w, _ in df.most_common()]
    common = ranked[:20]
    rare = [w for w, c in df.items() if c == 1][:500]
    phrases = []
    for d in sample[:each]:
        words = d.text.split()
        at = rng.randrange(len(words) - 2)
        phrases.append('"' + " ".join(w.rstrip(".") for w in words[at : at + 2]) + '"')
    mine = sorted(caller.people or ())

    def many(make: Callable[[], SearchQuery]) -> list[SearchQuery]:
        return [search_filter(caller, make()) for _ in range(each)]

    def since() -> tuple[date, date]:
        start = date(2000, 1, 1) + timedelta(rng.randrange(8000))
        return start, start + timedelta(rng.randrange(90, 1500))

    def dated(text: str) -> SearchQuery:
        start, end = since()
        return SearchQuery(text=text, date_from=start, date_to=end, facets=True)

    return {
        "common word": many(lambda: SearchQuery(text=rng.choice(common), facets=True)),
        "two common words": many(
            lambda: SearchQuery(text=" ".join(rng.sample(common, 2)), facets=True)
        ),
        "rare word": many(lambda: SearchQuery(text=rng.choice(rare), facets=True)),
        "phrase": many(lambda: SearchQuery(text=rng.choice(phrases), facets=True)),
        "common word + person": many(
            lambda: SearchQuery(
                text=rng.choice(common), person_ids=(rng.choice(mine),), facets=True
            )
        ),
        "no text + person": many(lambda: SearchQuery(person_ids=(rng.choice(mine),), facets=True)),
        "common word + date range": many(lambda: dated(rng.choice(common))),
        "no text + date range": many(lambda: dated("")),
        "no text (browse)": many(lambda: SearchQuery(facets=True)),
    }


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[94], cuts[98]


def timings(index: SearchIndex, mix: dict[str, list[SearchQuery]]) -> None:
    """Warm the engine on the whole mix once, then time it in a shuffled order."""
    for queries in mix.values():
        for q in queries:
            index.search(q)
    order = [(name, q) for name, queries in mix.items() for q in queries]
    random.Random(5).shuffle(order)
    spent: dict[str, list[float]] = {name: [] for name in mix}
    totals: dict[str, list[int]] = {name: [] for name in mix}
    for name, q in order:
        started = time.perf_counter()
        totals[name].append(index.search(q).total)
        spent[name].append((time.perf_counter() - started) * 1000)
    print(f"  {'query (ms)':26} {'mean hits':>9} {'p50':>7} {'p95':>7} {'p99':>7}")
    for name, ms in spent.items():
        p50, p95, p99 = percentiles(ms)
        hits = statistics.mean(totals[name])
        print(f"  {name:26} {hits:9,.0f} {p50:7.1f} {p95:7.1f} {p99:7.1f}")
    p50, p95, p99 = percentiles([m for ms in spent.values() for m in ms])
    print(f"  {'the whole mix':26} {'':9} {p50:7.1f} {p95:7.1f} {p99:7.1f}")


def _load_average() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def build(name: str, index: SearchIndex, make: Callable[[], Iterator[SearchDocument]]) -> None:
    started = time.perf_counter()
    written = index.rebuild(make())
    spent = time.perf_counter() - started
    print(f"{name}: rebuilt with {written:,} documents in {spent:.0f} s ({written / spent:,.0f}/s)")


def run(docs: int, people: int, sentences: tuple[int, int], engines: list[str], each: int) -> None:
    def make() -> Iterator[SearchDocument]:
        return documents(docs, people, sentences)

    started = time.perf_counter()
    sample = [d for _, d in zip(range(5000), make(), strict=False)]
    size = statistics.mean(len(d.text.encode()) for d in sample)
    print(f"{docs:,} documents on {people:,} people, mean text {size / 1000:.1f} KB (first 5,000)")
    caller = practitioner(people, random.Random(13))
    mix = query_mix(sample, caller, random.Random(11), each)
    print(
        f"access filter: {len(caller.people or ())} allowed people, excluded tags "
        f"{', '.join(mix['common word'][0].excluded_access_tags)}; {each} queries a kind, warm"
    )
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="escr-bench-", dir=os.environ.get("TMPDIR")) as tmp:
            index, drop = _engine(engine, Path(tmp))
            try:
                build(engine, index, make)
                print(f"{engine} search, {_load_average()}")
                timings(index, mix)
                print(f"  after: {_load_average()}")
            finally:
                drop()
    print(f"total {time.perf_counter() - started:.0f} s")


def _engine(engine: str, tmp: Path) -> tuple[SearchIndex, Callable[[], None]]:
    if engine == "embedded":
        from indexer.embedded import EmbeddedIndex

        return EmbeddedIndex(tmp / "tantivy"), lambda: None
    if engine == "opensearch":
        from opensearchpy import OpenSearch

        from core.settings import Settings
        from indexer.opensearch import OpenSearchIndex

        settings = Settings()
        if settings.index.backend != "opensearch":
            raise SystemExit('load the services first: eval "$(scripts/services.sh env)"')
        client = OpenSearch(hosts=settings.index.hosts, timeout=300)
        index = OpenSearchIndex(client, f"escr-bench-{uuid.uuid4().hex[:8]}")
        return index, index.drop
    raise SystemExit(f"unknown engine {engine!r}; one of embedded, opensearch")
