"""Born-digital PDF/DOCX/TXT docs/s through SandboxPool vs raw in-process extraction.

    .venv/bin/python -m bench.bench_extract [--docs 300] [--workers N] [--rounds 2]

"raw" calls the same extractors (PDFium for PDF, the fastest measured, see
docs/decisions/0003) in this process; "raw xN" runs them in N plain worker processes with no
limits, pipes of our own or restarts. The pool's ratio against each is its per-document cost.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from tests.factories.hostile import make_docx, make_pdf
from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.sandbox import SandboxPool

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_TEXT = "Review of the care plan with the family and the school, agreed actions recorded. " * 30
_LIMITS = Limits()

Job = tuple[str, str]


def make_docs(directory: Path, count: int) -> list[Job]:
    """`count` documents, a third each of 3-page PDFs, DOCX and TXT."""
    jobs: list[Job] = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            path = make_pdf(directory / f"d{index}.pdf", [_TEXT] * 3)
            jobs.append((str(path), "application/pdf"))
        elif kind == 1:
            path = make_docx(directory / f"d{index}.docx", [_TEXT] * 3)
            jobs.append((str(path), _DOCX))
        else:
            path = directory / f"d{index}.txt"
            path.write_text(_TEXT * 3)
            jobs.append((str(path), "text/plain"))
    return jobs


def _extract(job: Job) -> bool:
    return extract_file(job[0], job[1], _LIMITS, tempfile.gettempdir()).ok


def raw_serial(jobs: list[Job]) -> float:
    started = time.perf_counter()
    assert all(_extract(job) for job in jobs)
    return len(jobs) / (time.perf_counter() - started)


def raw_parallel(jobs: list[Job], workers: int) -> float:
    with multiprocessing.get_context("forkserver").Pool(workers) as processes:
        processes.map(_extract, jobs[:workers])  # warm up
        started = time.perf_counter()
        assert all(processes.map(_extract, jobs, chunksize=1))
        return len(jobs) / (time.perf_counter() - started)


def through_pool(jobs: list[Job], workers: int, tmp_dir: Path) -> float:
    with SandboxPool(workers, _LIMITS, tmp_dir) as pool:
        for future in [pool.submit(*jobs[0]) for _ in range(workers)]:
            future.result()  # start every child before timing
        started = time.perf_counter()
        futures = [pool.submit(*job) for job in jobs]
        assert all(future.result().ok for future in futures)
        return len(jobs) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        jobs = make_docs(directory, args.docs)
        for _ in range(args.rounds):
            # Alternated, best round kept: other load on the machine hits every side alike.
            for label, rate in (
                ("raw in-process x1", raw_serial(jobs)),
                ("sandbox pool x1", through_pool(jobs, 1, directory)),
                (f"raw processes x{args.workers}", raw_parallel(jobs, args.workers)),
                (f"sandbox pool x{args.workers}", through_pool(jobs, args.workers, directory)),
            ):
                best[label] = max(rate, best.get(label, 0.0))
    print(f"docs={args.docs} (PDF/DOCX/TXT) workers={args.workers} rounds={args.rounds}")
    for label, rate in best.items():
        print(f"{label}: {rate:.1f} docs/s")
    rates = list(best.values())
    print(f"ratio pool/raw x1: {rates[1] / rates[0]:.3f}")
    print(f"ratio pool/raw x{args.workers}: {rates[3] / rates[2]:.3f} (target >= 0.5)")


if __name__ == "__main__":
    main()
