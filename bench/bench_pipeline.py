"""The whole pipeline against raw extraction of the same files, measured side by side.

.venv/bin/python -m bench.bench_pipeline [--docs 200] [--corpus realistic|thin] [--repeat 3]
    [--pages 12] [--dpi 150] [--workers N] [--long-pages 24] [--memory-docs 1000,4000]

1. Born-digital documents/s through `escr load` (ingest, type, sandboxed extraction, classify,
   link, index, catalog), the whole process timed from its start, against raw pypdfium2 text
   extraction of the same PDFs with the same number of processes, in turns (--repeat pairs; the
   median ratio counts). Target: >= 0.6. The corpus is the synthetic archive's realistic
   profile (letters and case notes of 1-3 pages to court reports of 10-20, 2-40 KB of text,
   with names, dates, addresses and NHS numbers); its page and size distribution is printed.
   `--corpus thin` is the earlier two-page PDFs with little text.
2. OCR pages/s through `escr load` against raw `tesseract` on the same page images with the same
   number of processes, in turns like 1. Target: ratio >= 0.9.
3. One long scan (a --long-pages multi-page TIFF) through `escr load`, OCRed by page range,
   against raw `tesseract` on the same page images, in turns like 1. Target: ratio >= 0.9.
4. The cost curve: CPU a document (loader and sandbox children), wall time and the loader's
   peak memory (max RSS) of realistic loads of growing size into one embedded catalog.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from bench.bench_ocr import make_pages, raw_tesseract

PARAGRAPH = (
    "The social worker visited the family home on {n} May. The children were seen together and "
    "alone. Their mother said the school had raised concerns about attendance; the plan is to "
    "meet the head teacher and the health visitor before the review conference in June. "
)
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\nMOS1,Mosaic,PARIS:1,Ann,Ash,2010-01-01,,,children\n"
)


def make_pdfs(folder: Path, count: int) -> list[Path]:
    """Two-page born-digital PDFs, each different."""
    paths = []
    for number in range(count):
        pdf = FPDF()
        pdf.set_font("Helvetica", size=11)
        for _ in range(2):
            pdf.add_page()
            pdf.multi_cell(0, 6, (PARAGRAPH.format(n=number) * 6).strip())
        path = folder / f"doc-{number:05}.pdf"
        pdf.output(str(path))
        paths.append(path)
    return paths


def write_manifest(folder: Path, files: list[Path], doc_type: str) -> Path:
    lines = ["source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type"]
    for number, path in enumerate(files):
        lines.append(
            f"PARIS,B{number},1,{path.relative_to(folder).as_posix()},Doc {number},{doc_type}"
        )
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "people.csv").write_text(PEOPLE, encoding="utf-8")
    return folder / "manifest.csv"


def _pdfium_text(path: str) -> tuple[int, int]:
    """(pages, characters of text) of one PDF, read as raw pypdfium2 reads it."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        chars = sum(len(page.get_textpage().get_text_range()) for page in document)
        return len(document), chars
    finally:
        document.close()


def raw_extraction(files: list[Path], workers: int) -> float:
    """Docs/s of bare pypdfium2 extraction in `workers` processes, timed like the load: from
    the processes' start (the interpreters' start-up included) to the last text."""
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_pdfium_text, [str(f) for f in files], chunksize=4))
    return len(files) / (time.perf_counter() - started)


def describe_corpus(files: list[Path], workers: int) -> None:
    """Pages and text a document, so a reader can see what the ratios were measured on."""
    with ProcessPoolExecutor(workers) as pool:
        sizes = list(pool.map(_pdfium_text, [str(f) for f in files], chunksize=8))
    pages = [p for p, _ in sizes]
    kbytes = [c / 1000 for _, c in sizes]

    def spread(values: list[float] | list[int], unit: str) -> str:
        return (
            f"min {min(values):.1f}, median {statistics.median(values):.1f}, "
            f"max {max(values):.1f} {unit}"
        )

    print(f"  corpus: {len(files)} PDFs, {sum(pages)} pages, {sum(kbytes) / 1000:.1f} MB of text")
    print(f"  pages a document: {spread(pages, 'pages')}")
    print(f"  text a document:  {spread(kbytes, 'KB')}")
    bands = [(1, 1), (2, 3), (4, 9), (10, 20)]
    shares = [sum(lo <= p <= hi for p in pages) / len(pages) for lo, hi in bands]
    print(
        "  documents of "
        + ", ".join(
            f"{lo}-{hi} pages {share:.0%}" for (lo, hi), share in zip(bands, shares, strict=True)
        )
    )


def _embedded_env(home: Path) -> dict[str, str]:
    """The environment for an embedded-backend run in its own ESCR_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    return env | {"ESCR_HOME": str(home)}


def pipeline_load(manifest: Path, workers: int, home: Path) -> tuple[float, dict[str, object]]:
    """Seconds of the whole `escr load` process, in a fresh ESCR_HOME, and its summary."""
    env = _embedded_env(home)
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "load",
        str(manifest),
        "--people",
        str(manifest.parent / "people.csv"),
        "--workers",
        str(workers),
        "--quiet",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    # The summary's `seconds` is the load itself: registration, pipeline, reconciliation, with
    # the sandbox's start-up but not the interpreter's imports; `elapsed` is everything.
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Trial:
    """What one benchmark runs in turns: raw on `files`, the pipeline on `manifest`."""

    folder: Path
    files: list[Path]  # what the raw run reads
    manifest: Path  # what `escr load` loads
    unit: str  # "docs" or "pages"
    units: int  # how many of them one run handles
    documents: int  # documents the load must index

    @classmethod
    def of_files(cls, folder: Path, files: list[Path], unit: str) -> Trial:
        """A trial whose manifest lists the raw run's own files, one document each."""
        manifest = write_manifest(folder, files, "CNOTE")
        return cls(folder, files, manifest, unit, len(files), len(files))


def in_turns(
    trial: Trial,
    raw: Callable[[list[Path], int], float],
    workers: int,
    repeat: int,
    target: float,
) -> None:
    """Raw and pipeline in turns on the same content, each pipeline run in a fresh ESCR_HOME,
    and the median ratio: on a shared machine one pair's ratio moved by 0.05-0.1 between runs.
    The ratio is of whole processes, start-up included; the load's own time is shown beside."""
    os.sync()  # the new files go to disk first: writeback slowed whichever run came next
    ratios = []
    unit = trial.unit
    for turn in range(1, repeat + 1):
        raw_rate = raw(trial.files, workers)
        elapsed, summary = pipeline_load(trial.manifest, workers, trial.folder / f"home-{turn}")
        assert summary["indexed"] == trial.documents, summary
        through = trial.units / elapsed
        own = trial.units / float(summary["seconds"])
        ratios.append(through / raw_rate)
        print(
            f"  run {turn}: raw {raw_rate:7.2f} {unit}/s, escr load (whole process) "
            f"{through:7.2f} {unit}/s, ratio {through / raw_rate:.2f} (the load's own time: "
            f"{own:.2f} {unit}/s, {own / raw_rate:.2f})"
        )
    print(
        f"  ratio pipeline/raw         {statistics.median(ratios):8.2f}   target >= {target} "
        f"(median of {repeat})"
    )


def _files_folder(folder: Path) -> Path:
    (folder / "files").mkdir(parents=True)
    return folder / "files"


def realistic_archive(folder: Path, docs: int) -> tuple[list[Path], Path]:
    """The synthetic archive's realistic profile: (its PDFs, its manifest)."""
    from workers.synth.archive import make_archive

    archive = make_archive(
        folder, seed=5, people=max(20, docs // 20), docs=docs, profile="realistic"
    )
    with archive.manifest_path.open(encoding="utf-8", newline="") as handle:
        files = [folder / row["file_path"] for row in csv.DictReader(handle)]
    return files, archive.manifest_path


def born_digital(root: Path, docs: int, workers: int, repeat: int, corpus: str) -> None:
    folder = root / "born-digital"
    started = time.perf_counter()
    if corpus == "thin":
        what = "two-page PDFs with little text"
        pdfs = make_pdfs(_files_folder(folder), docs)
        trial = Trial.of_files(folder, pdfs, "docs")
    else:
        what = "realistic PDFs"
        pdfs, manifest = realistic_archive(folder, docs)
        trial = Trial(folder, pdfs, manifest, "docs", units=docs, documents=docs)
    print(f"born-digital: {docs} {what}, {workers} processes each; raw is pypdfium2")
    print(f"  made in {time.perf_counter() - started:.0f} s")
    describe_corpus(pdfs, workers)
    in_turns(trial, raw_extraction, workers, repeat, 0.6)


def ocr(root: Path, pages: int, workers: int, repeat: int, dpi: int) -> None:
    print(f"OCR: {pages} A4 page images at {dpi} dpi, {workers} processes each; raw is tesseract")
    folder = root / "scans"
    images = make_pages(_files_folder(folder), pages, dpi)
    in_turns(Trial.of_files(folder, images, "pages"), raw_tesseract, workers, repeat, 0.9)


def long_scan(root: Path, pages: int, workers: int, repeat: int) -> None:
    """One multi-page TIFF (a scanned bundle) through the pipeline, against raw tesseract on the
    same page images: its pages are OCRed by range on every core (docs/decisions/0014)."""
    from PIL import Image

    print(
        f"long scan: one {pages}-page TIFF, {workers} processes each; raw is tesseract on its pages"
    )
    folder = root / "long-scan"
    images = make_pages(_files_folder(folder), pages)
    frames = [Image.open(path) for path in images]
    bundle = folder / "files" / "bundle.tif"
    frames[0].save(bundle, save_all=True, append_images=frames[1:], compression="tiff_deflate")
    manifest = write_manifest(folder, [bundle], "CNOTE")
    trial = Trial(folder, images, manifest, "pages", units=pages, documents=1)
    in_turns(trial, raw_tesseract, workers, repeat, 0.9)


# Runs in the measured process: the load, then its own and its reaped children's usage.
_COST_CODE = """
import json, resource, time
from pathlib import Path
from core.settings import get_settings
from workers.load import load_archive
started = time.perf_counter()
s = load_archive(get_settings(), manifest=Path({manifest!r}), people=Path({people!r}),
                 workers={workers}, progress=False)
wall = time.perf_counter() - started
me = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": wall, "loader_cpu": me.ru_utime + me.ru_stime,
    "rss_mb": me.ru_maxrss / 1024, "indexed": s["indexed"], "unaccounted": s["unaccounted"]}}))
"""


def _all_cpu(command: list[str], stat: Path) -> list[str]:
    """`command` under `perf stat`, which counts every process and thread it starts: the
    sandbox children are the forkserver's, never reaped by the loader, so its RUSAGE_CHILDREN
    misses them."""
    if shutil.which("perf") is None:
        return command
    return ["perf", "stat", "-x,", "-e", "task-clock", "-o", str(stat), "--", *command]


def _task_clock_s(stat: Path) -> float | None:
    if not stat.exists():
        return None
    for line in stat.read_text().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("task-clock"):
            return float(fields[0]) / 1000
    return None


def cost_curve(root: Path, sizes: list[int], workers: int) -> None:
    """CPU a document, wall time and peak memory of realistic loads of growing size."""
    print(f"cost curve: realistic born-digital loads, embedded, {workers} processes")
    for size in sizes:
        folder = root / f"cost-{size}"
        _files, manifest = realistic_archive(folder, size)
        os.sync()
        code = _COST_CODE.format(
            manifest=str(manifest), people=str(folder / "people.csv"), workers=workers
        )
        stat = root / f"cost-{size}.perf"
        done = subprocess.run(
            _all_cpu([sys.executable, "-c", code], stat),
            env=_embedded_env(root / f"home-cost-{size}"),
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        assert r["indexed"] == size, r
        loader_ms = 1000 * r["loader_cpu"] / size
        total = _task_clock_s(stat)
        every = f"{1000 * total / size:5.2f}" if total is not None else "  n/a"
        print(
            f"  {size:>7} docs: {every} ms CPU a doc (all processes; the loader "
            f"{loader_ms:.2f}), wall {r['wall']:7.1f} s "
            f"({1000 * r['wall'] / size:.2f} ms a doc), loader peak {r['rss_mb']:5.0f} MB, "
            f"unaccounted {r['unaccounted']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--corpus", choices=("realistic", "thin"), default="realistic")
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--dpi", type=int, default=300, help="resolution of the OCR pages")
    parser.add_argument("--repeat", type=int, default=3, help="raw/pipeline pairs a benchmark")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-docs", default="1000,4000")
    parser.add_argument("--long-pages", type=int, default=24, help="pages of the long scan")
    parser.add_argument("--skip", default="", help="comma list of: born,ocr,long,memory")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory(prefix="escr-bench-") as tmp:
        root = Path(tmp)
        if "born" not in skip:
            born_digital(root, args.docs, args.workers, args.repeat, args.corpus)
        if "ocr" not in skip:
            ocr(root, args.pages, args.workers, args.repeat, args.dpi)
        if "long" not in skip:
            long_scan(root, args.long_pages, args.workers, args.repeat)
        if "memory" not in skip:
            cost_curve(root, [int(s) for s in args.memory_docs.split(",") if s], args.workers)


if __name__ == "__main__":
    main()
