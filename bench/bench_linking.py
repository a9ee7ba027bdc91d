"""Linking and classification accuracy on a noisy synthetic archive, one column per linker.

.venv/bin/python -m bench.bench_linking [--docs 1000] [--people N] [--seed 1] [--noise typical]
    [--workers N] [--keep DIR] [--linker NAME ...]

Writes `escr synth --noise` (typos, nicknames, swapped DOBs, missing, reused and wrong
crosswalk IDs, twins, misfiled documents, scans with no metadata; workers/synth/noise.py),
loads it with `escr load` into a fresh embedded catalog, and measures the catalog against the
archive's truth.csv with records/quality.py: wrong automatic links, automatic-link recall of
what is linkable, misfiled documents caught, the true person among the first 3 candidates of
what went to review, document type macro-F1. Then the same figures for each noise kind alone.

Today there is one linker (the crosswalk, vetoed by an NHS number in the text): the column
"crosswalk-only (today)". A later linker adds its column to LINKERS (a name and the extra
environment its `escr load` runs with); the table prints them side by side from one archive.
Issue 14's targets: zero wrong automatic links, recall >= 0.9, top-3 >= 0.95, misfiled
caught >= 0.95, type macro-F1 >= 0.9.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from catalog.db import session_factory
from core.settings import Settings
from records.quality import LinkingQuality, TruthDocument, measure_linking, read_truth
from workers.synth.archive import make_archive

# Column name -> the environment variables its load runs with (empty: today's settings).
LINKERS: dict[str, dict[str, str]] = {
    "crosswalk-only (today)": {"ESCR_LINK__MATCHING": "false"},
    "with matching (0031)": {},
}

ROWS: tuple[tuple[str, Callable[[LinkingQuality], object]], ...] = (
    ("documents measured", lambda q: q.documents),
    ("linkable", lambda q: q.linkable),
    ("automatic links", lambda q: q.auto_links),
    ("wrong automatic links (target 0)", lambda q: q.wrong_auto_links),
    ("link precision", lambda q: q.link_precision),
    ("automatic-link recall (>= 0.9)", lambda q: q.auto_recall),
    ("misfiled", lambda q: q.misfiled),
    ("misfiled caught (>= 0.95)", lambda q: q.misfiled_caught_rate),
    ("sent to review, linkable", lambda q: q.reviewed),
    ("true person in top 3 (>= 0.95)", lambda q: q.review_top3_rate),
    ("documents typed", lambda q: q.typed),
    ("type macro-F1 (>= 0.9)", lambda q: q.type_macro_f1),
)


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_table(columns: dict[str, LinkingQuality]) -> None:
    """The figures, one column per linker."""
    width = max(len(name) for name, _ in ROWS) + 2
    print("".ljust(width) + "".join(name.rjust(26) for name in columns))
    for name, figure in ROWS:
        print(name.ljust(width) + "".join(_cell(figure(q)).rjust(26) for q in columns.values()))
    paths = sorted({p for q in columns.values() for p in q.paths})
    for path in paths:
        print(
            f"path: {path}".ljust(width)
            + "".join(str(q.paths.get(path, 0)).rjust(26) for q in columns.values())
        )


def load(archive: Path, home: Path, workers: int, extra_env: dict[str, str]) -> float:
    """Run `escr load` on the archive in a fresh ESCR_HOME; its seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    env |= {"ESCR_HOME": str(home), **extra_env}
    command = [sys.executable, "-m", "cli.main", "load", str(archive / "manifest.csv")]
    command += ["--people", str(archive / "people.csv"), "--workers", str(workers), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:  # the load's own words, not only its exit status
        raise SystemExit(f"escr load exited {done.returncode}:\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  loaded in {seconds:.1f} s: {summary['states']}, linked {summary['linked']}")
    return seconds


def noise_kinds(truth_csv: Path) -> dict[str, set[tuple[str, str]]]:
    """Each noise kind (of a document or of its people) -> the documents that carry it."""
    kinds: dict[str, set[tuple[str, str]]] = {}
    with truth_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["source_system"], row["source_document_id"])
            for kind in filter(None, [*row["noise"].split(";"), *row["person_noise"].split(";")]):
                kinds.setdefault(kind, set()).add(key)
    return kinds


def print_by_kind(
    measure: Callable[[list[TruthDocument]], LinkingQuality],
    truth: list[TruthDocument],
    kinds: dict[str, set[tuple[str, str]]],
) -> None:
    """One linker's figures on the documents of each noise kind alone."""
    print(
        f"  {'noise kind':28}{'docs':>6}{'linkable':>10}{'wrong auto':>12}{'recall':>8}"
        f"{'reviewed':>10}{'top 3':>7}"
    )
    for kind, keys in sorted(kinds.items()):
        part = [t for t in truth if (t.source_system, t.source_document_id) in keys]
        q = measure(part)
        print(
            f"  {kind:28}{q.documents:>6}{q.linkable:>10}{q.wrong_auto_links:>12}"
            f"{_cell(q.auto_recall):>8}{q.reviewed:>10}{_cell(q.review_top3_rate):>7}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--people", type=int, default=0, help="default: a fifth of --docs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", default="typical", choices=("light", "typical", "heavy"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="write the archive and catalogs here, kept")
    parser.add_argument(
        "--linker",
        action="append",
        choices=list(LINKERS),
        help="load with this linker only (repeatable; default: every column, side by side)",
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-linking-"))
    people = args.people or max(20, args.docs // 5)
    started = time.perf_counter()
    archive = make_archive(
        work / "archive", seed=args.seed, people=people, docs=args.docs, noise=args.noise
    )
    assert archive.truth_path is not None
    print(
        f"noisy archive ({args.noise}): {args.docs} documents, {people} people, seed {args.seed}, "
        f"written in {time.perf_counter() - started:.1f} s"
    )
    truth = read_truth(archive.truth_path)
    kinds = noise_kinds(archive.truth_path)
    columns: dict[str, LinkingQuality] = {}
    try:
        for number, (name, extra_env) in enumerate(LINKERS.items()):
            if args.linker and name not in args.linker:
                continue
            print(f"{name}:")
            home = work / f"home-{number}"
            load(archive.root, home, args.workers, extra_env)
            settings = Settings(home=home)  # the load's embedded catalog
            with session_factory(settings.database_url)() as session:
                columns[name] = measure_linking(session, truth)
                print_by_kind(lambda part: measure_linking(session, part), truth, kinds)
        print()
        print_table(columns)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
