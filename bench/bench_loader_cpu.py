"""Where the loader's CPU goes on a realistic born-digital load, stage by stage.

.venv/bin/python -m bench.bench_loader_cpu [--docs 1000] [--workers 2] [--keep DIR]

One `load_archive` of the synthetic archive's realistic profile (bench_pipeline's corpus) in
a fresh embedded catalog, in this process, with each pipeline stage wrapped to count the
main thread's CPU (`time.thread_time`) spent in it and not in another wrapped stage. Printed:
the main thread's CPU in the load, the loader process's CPU over all its threads (tantivy's
indexing, DuckDB, the import of the matcher), and each stage's own share, in ms a document.

CPU, not the clock, because the clock of a shared 2-core machine moves with other people's
jobs (decision 0036). The sandbox children's CPU is not here: `perf stat -e task-clock`
counts every process (bench_pipeline's cost curve).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

# Stages worth a line: (module, attribute) pairs; a method is (class, name).
_MODULE_STAGES = {
    "workers.pipeline": (
        "ingest_rows",
        "apply_extractions",
        "record_extractions",
        "classify_and_link_many",
        "link_document",
        "match_deferred",
        "index_pending",
        "locate_files",
        "store_files",
    ),
    "catalog.documents": ("set_texts", "add_links", "add_versions", "ensure_blobs"),
    "catalog.ledger": ("sync_many",),
}
_RUNNER_STAGES = ("run", "_with_files", "_drain", "_flush_index", "_commit")


class StageClock:
    """Main-thread CPU by wrapped function, each counted without the wrapped calls inside."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        self._inner: list[float] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        real: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            self._inner.append(0.0)
            try:
                return real(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                inner = self._inner.pop()
                self.own[label] = self.own.get(label, 0.0) + spent - inner
                self.calls[label] += 1
                if self._inner:
                    self._inner[-1] += spent

        setattr(owner, name, timed)


def _instrument(clock: StageClock) -> None:
    import importlib

    from workers.local_runner import LocalRunner

    for module_name, names in _MODULE_STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            clock.wrap(module, name, f"{module_name.split('.')[-1]}.{name}")
    for name in _RUNNER_STAGES:
        clock.wrap(LocalRunner, name, f"LocalRunner.{name}")
    clock.wrap(Session, "flush", "Session.flush")
    clock.wrap(Session, "commit", "Session.commit")


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write the archive and catalog here, kept")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="escr-loader-cpu-"))
    os.environ["ESCR_HOME"] = str(root / "home")  # a fresh embedded catalog
    for name in [n for n in os.environ if n.startswith("ESCR_") and n != "ESCR_HOME"]:
        del os.environ[name]
    from bench.bench_pipeline import realistic_archive
    from core.settings import get_settings
    from workers.load import load_archive

    try:
        _files, manifest = realistic_archive(root / "archive", args.docs)
        clock = StageClock()
        _instrument(clock)
        get_settings.cache_clear()
        cpu, thread, wall = _process_cpu(), time.thread_time(), time.perf_counter()
        summary = load_archive(
            get_settings(),
            manifest=manifest,
            people=manifest.parent / "people.csv",
            workers=args.workers,
            progress=False,
        )
        thread, cpu = time.thread_time() - thread, _process_cpu() - cpu
        wall = time.perf_counter() - wall
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    docs = args.docs
    print(
        f"loader: {docs} realistic documents, {args.workers} children; indexed "
        f"{summary['indexed']}, linked {summary['linked']}, unlinked {summary['unlinked']}"
    )
    print(f"  wall {wall:.2f} s (the machine's, not the load's alone)")
    print(f"  loader process, all threads: {cpu:.2f} s CPU, {1000 * cpu / docs:.3f} ms a document")
    print(f"  its main thread:             {thread:.2f} s CPU, {1000 * thread / docs:.3f} ms a doc")
    print("  main thread's own CPU by stage (ms a document, calls):")
    for label, spent in sorted(clock.own.items(), key=lambda item: -item[1]):
        print(f"    {1000 * spent / docs:7.3f}  {clock.calls[label]:6d}  {label}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
