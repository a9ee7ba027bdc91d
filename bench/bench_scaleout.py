"""Scale-out benchmarks on the real services (start them with `make services`, then
`eval "$(scripts/services.sh env)"`). Each part prints a ratio measured in the same run.

.venv/bin/python -m bench.bench_scaleout [--pages 16] [--docs 100000] [--skip ocr,search,bulk]

1. OCR-heavy Celery throughput: the same page images through two workers against one worker
   (each worker one thread). Target: >= 1.7x on two cores.
2. OpenSearch search p50/p95 at --docs documents with an access filter of 50 people, and the
   same query bodies sent raw with opensearch-py, side by side. Target: p95 under 100 ms.
3. Bulk indexing documents/s through OpenSearchIndex (bulk mode) against a raw
   `streaming_bulk` of the same documents into an index with the same mapping. Target: ratio
   >= 0.8.
4. With --cost-docs 2000,10000: the cost curve of issue 12 on the scale-out backends. Realistic
   born-digital archives loaded by `escr load`'s embedded runner (load_archive, --workers
   sandbox processes) into PostgreSQL (a schema of its own) and OpenSearch (an alias
   escr-bench-...), blobs in a local store; CPU a document over every process (perf stat),
   wall, loader peak RSS. The schema and the index are dropped after each size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from opensearchpy import OpenSearch
from opensearchpy.helpers import streaming_bulk

from bench.bench_ocr import make_pages
from bench.bench_pipeline import write_manifest
from bench.bench_search import synthetic_documents
from core.settings import Settings
from indexer.base import SearchDocument, SearchQuery
from indexer.opensearch import (
    OpenSearchIndex,
    _source,
    build_search,
    index_body,
    text_analysis,
)

if TYPE_CHECKING:
    from tests.integration.conftest import Services


def ocr_scaling(root: Path, pages: int) -> None:
    from tests.integration.conftest import Services
    from tests.integration.scaleout import Stack
    from workers.celery_load import load_via_celery

    folder = root / "scans"
    (folder / "files").mkdir(parents=True)
    manifest = write_manifest(folder, make_pages(folder / "files", pages), "CNOTE")
    settings = Settings()
    services = Services(
        settings.database_url,
        settings.broker.url,
        settings.storage.endpoint,
        settings.storage.access_key,
        settings.storage.secret_key,
        settings.index.hosts,
    )
    rates = {}
    for workers in (1, 2):
        stack = Stack(services, root / f"home-{workers}")
        stack.home.mkdir()
        stack.create()
        try:
            for number in range(workers):
                stack.start_worker(f"bench{number}", concurrency=1)
            started = time.perf_counter()
            summary = load_via_celery(
                stack.settings(),
                manifest=manifest,
                people=folder / "people.csv",
                progress=False,
                timeout_s=3600,
            )
            assert summary["indexed"] == pages, summary
            rates[workers] = pages / (time.perf_counter() - started)
        finally:
            stack.drop()
    print(f"OCR through Celery: {pages} A4 page images")
    print(f"  one worker   {rates[1]:6.3f} pages/s")
    print(f"  two workers  {rates[2]:6.3f} pages/s")
    print(f"  scaling      {rates[2] / rates[1]:6.2f}x   target >= 1.7x")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def search_latency(client: OpenSearch, index: OpenSearchIndex, docs: int, people: int) -> None:
    rng = random.Random(3)
    pid = [f"P{i:06d}" for i in range(people)]
    terms = ["visit", "school", "mother", "plan", "review", "health"]
    queries = [
        SearchQuery(
            text=rng.choice(terms),
            allowed_person_ids=tuple(rng.sample(pid, 50)),
            include_unlinked=False,
            facets=True,
        )
        for _ in range(200)
    ]
    for q in queries[:10]:
        index.search(q)
    ours, raw = [], []
    for q in queries:
        started = time.perf_counter()
        index.search(q)
        ours.append((time.perf_counter() - started) * 1000)
        body = build_search(q)
        started = time.perf_counter()
        client.search(index=index.alias, body=body)
        raw.append((time.perf_counter() - started) * 1000)
    (o50, o95), (r50, r95) = _percentiles(ours), _percentiles(raw)
    print(f"OpenSearch search at {docs:,} documents, access filter of 50 people, with facets")
    print(f"  OpenSearchIndex.search  p50 {o50:6.1f} ms  p95 {o95:6.1f} ms   target p95 < 100 ms")
    print(f"  raw client.search       p50 {r50:6.1f} ms  p95 {r95:6.1f} ms")
    print(f"  ratio p95 ours/raw      {o95 / r95:6.2f}")


def bulk_rates(client: OpenSearch, index: OpenSearchIndex, documents: list[SearchDocument]) -> None:
    started = time.perf_counter()
    with index.bulk_mode():
        for at in range(0, len(documents), 2000):
            index.upsert(documents[at : at + 2000])
    ours = len(documents) / (time.perf_counter() - started)
    bare = f"bench-raw-{uuid.uuid4().hex[:8]}"
    # The same mapping and analysers as ours, so the ratio measures our client code only.
    body = index_body(text_analysis(client))
    body.setdefault("settings", {})["refresh_interval"] = -1
    client.indices.create(index=bare, body=body)
    try:
        actions = ({"_index": bare, "_id": d.document_id, "_source": _source(d)} for d in documents)
        started = time.perf_counter()
        for ok, item in streaming_bulk(client, actions, chunk_size=2000):
            assert ok, item
        client.indices.refresh(index=bare)
        raw = len(documents) / (time.perf_counter() - started)
    finally:
        client.indices.delete(index=bare)
    print(f"bulk indexing of {len(documents):,} documents")
    print(f"  OpenSearchIndex (bulk mode)  {ours:8.0f} docs/s")
    print(f"  raw streaming_bulk           {raw:8.0f} docs/s")
    print(f"  ratio                        {ours / raw:8.2f}   target >= 0.8")


def _services(settings: Settings) -> Services:
    from tests.integration.conftest import Services

    return Services(
        settings.database_url,
        settings.broker.url,
        settings.storage.endpoint,
        settings.storage.access_key,
        settings.storage.secret_key,
        settings.index.hosts,
    )


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields from the state on (the name may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _server_cpu_s() -> dict[str, float] | None:
    """CPU seconds PostgreSQL (the postmaster, its live backends and those it reaped) and
    OpenSearch (the JVM, every thread) have used since they started; None if their pid files
    are not where scripts/services.sh writes them. perf stat cannot count them: they are not
    the load's processes. Shared servers: whatever other sessions ran meanwhile counts too."""
    home = Path(os.environ.get("ESCR_SERVICES_HOME", ""))
    try:
        postmaster = int((home / "postgres/data/postmaster.pid").read_text().split()[0])
        jvm = int((home / "run/opensearch.pid").read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")
        backends = 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = _stat(int(entry.name))
                except OSError:
                    continue  # exited meanwhile
                if int(fields[1]) == postmaster:  # ppid
                    backends += int(fields[11]) + int(fields[12])  # utime, stime
        own = _stat(postmaster)
        pg = backends + sum(int(x) for x in own[11:15])  # its utime, stime, cutime, cstime
        os_ = _stat(jvm)
        return {"postgres": pg / tick, "opensearch": (int(os_[11]) + int(os_[12])) / tick}
    except (OSError, ValueError, IndexError):
        return None


def scaleout_cost_curve(root: Path, sizes: list[int], workers: int) -> None:
    """bench_pipeline's cost curve (its archive, measured process and perf counting), on
    PostgreSQL and OpenSearch instead of SQLite and tantivy."""
    from bench.bench_pipeline import _COST_CODE, _all_cpu, _task_clock_s, realistic_archive
    from tests.integration.scaleout import Stack

    settings = Settings()
    print(
        f"cost curve: realistic born-digital loads, embedded runner on PostgreSQL + OpenSearch "
        f"(blobs local), {workers} processes"
    )
    for size in sizes:
        folder = root / f"cost-{size}"
        started = time.perf_counter()
        _files, manifest = realistic_archive(folder, size)
        made = time.perf_counter() - started
        os.sync()
        stack = Stack(
            _services(settings), root / f"home-cost-{size}", tag=f"bench{uuid.uuid4().hex[:8]}"
        )
        stack.home.mkdir()
        stack.create()
        # A local blob store: MinIO's Object Lock buckets cannot be emptied after the run.
        env = {k: v for k, v in stack.env().items() if not k.startswith("ESCR_STORAGE__")}
        env["ESCR_STORAGE__BACKEND"] = "local"
        code = _COST_CODE.format(
            manifest=str(manifest), people=str(folder / "people.csv"), workers=workers
        )
        stat = root / f"cost-{size}.perf"
        servers_before = _server_cpu_s()
        try:
            done = subprocess.run(
                _all_cpu([sys.executable, "-c", code], stat),
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise SystemExit(f"the load failed:\n{done.stderr[-3000:]}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            servers_after = _server_cpu_s()
        finally:
            stack.drop()
            OpenSearchIndex(OpenSearch(hosts=settings.index.hosts), f"escr-{stack.tag}").drop()
            shutil.rmtree(folder, ignore_errors=True)
        assert r["indexed"] == size, r
        total = _task_clock_s(stat)
        every = f"{1000 * total / size:5.2f}" if total is not None else "  n/a"
        print(
            f"  {size:>7} docs: {every} ms CPU a doc (all processes; the loader "
            f"{1000 * r['loader_cpu'] / size:.2f}), wall {r['wall']:7.1f} s "
            f"({1000 * r['wall'] / size:.2f} ms a doc), loader peak {r['rss_mb']:5.0f} MB, "
            f"unaccounted {r['unaccounted']}; archive made in {made:.0f} s, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        if servers_before and servers_after:
            print(
                "            servers: "
                + ", ".join(
                    f"{name} {1000 * (servers_after[name] - servers_before[name]) / size:.2f}"
                    for name in servers_before
                )
                + " ms CPU a doc (every session's use of the shared servers meanwhile)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--skip", default="")
    parser.add_argument("--cost-docs", default="", help="e.g. 2000,10000: only the cost curve")
    parser.add_argument("--workers", type=int, default=2, help="with --cost-docs")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    settings = Settings()
    if settings.index.backend != "opensearch":
        raise SystemExit('load the services first: eval "$(scripts/services.sh env)"')
    if args.cost_docs:
        with tempfile.TemporaryDirectory(prefix="escr-bench-") as tmp:
            sizes = [int(x) for x in args.cost_docs.split(",") if x]
            scaleout_cost_curve(Path(tmp), sizes, args.workers)
        return
    with tempfile.TemporaryDirectory(prefix="escr-bench-") as tmp:
        if "ocr" not in skip:
            ocr_scaling(Path(tmp), args.pages)
    client = OpenSearch(hosts=settings.index.hosts, timeout=120)
    index = OpenSearchIndex(client, f"bench-{uuid.uuid4().hex[:8]}")
    people = max(100, args.docs // 50)
    try:
        documents = list(synthetic_documents(args.docs, people))
        if "bulk" not in skip or "search" not in skip:
            bulk_rates(client, index, documents)
        if "search" not in skip:
            search_latency(client, index, args.docs, people)
    finally:
        index.drop()


if __name__ == "__main__":
    main()
