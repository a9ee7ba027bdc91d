"""The whole pipeline against raw extraction of the same files, measured side by side.

.venv/bin/python -m bench.bench_pipeline [--docs 200] [--repeat 3] [--pages 12] [--workers N]
    [--long-pages 24] [--memory-docs 1000,4000]

1. Born-digital documents/s through `escr load` (ingest, type, sandboxed extraction, classify,
   link, index, catalog) against raw pypdfium2 text extraction of the same PDFs with the same
   number of processes, in turns (--repeat pairs; the median ratio counts). Target: >= 0.5.
2. OCR pages/s through `escr load` against raw `tesseract` on the same page images with the same
   number of processes, in turns like 1. Target: ratio >= 0.9.
3. One long scan (a --long-pages multi-page TIFF) through `escr load`, OCRed by page range,
   against raw `tesseract` on the same page images, in turns like 1. Target: ratio >= 0.9.
4. Peak memory (max RSS of the loader process) of loads of growing size: it must stay flat.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _pdfium_text(path: str) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        return sum(len(page.get_textpage().get_text_range()) for page in document)
    finally:
        document.close()


def raw_extraction(files: list[Path], workers: int) -> float:
    """Docs/s of bare pypdfium2 extraction in `workers` processes (pool started beforehand)."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_pdfium_text, [str(files[0])] * workers))
        started = time.perf_counter()
        list(pool.map(_pdfium_text, [str(f) for f in files], chunksize=4))
        return len(files) / (time.perf_counter() - started)


def _embedded_env(home: Path) -> dict[str, str]:
    """The environment for an embedded-backend run in its own ESCR_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    return env | {"ESCR_HOME": str(home)}


def pipeline_load(manifest: Path, workers: int, home: Path) -> tuple[float, dict[str, object]]:
    """Seconds and summary of `escr load` in a fresh process and ESCR_HOME."""
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
    # the sandbox's start-up but not the interpreter's imports.
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
    and the median ratio: on a shared machine one pair's ratio moved by 0.05-0.1 between runs."""
    os.sync()  # the new files go to disk first: writeback slowed whichever run came next
    ratios = []
    unit = trial.unit
    for turn in range(1, repeat + 1):
        raw_rate = raw(trial.files, workers)
        _elapsed, summary = pipeline_load(trial.manifest, workers, trial.folder / f"home-{turn}")
        assert summary["indexed"] == trial.documents, summary
        through = trial.units / float(summary["seconds"])
        ratios.append(through / raw_rate)
        print(
            f"  run {turn}: raw {raw_rate:7.2f} {unit}/s, escr load (whole pipeline, the load's "
            f"own time) {through:7.2f} {unit}/s, ratio {through / raw_rate:.2f}"
        )
    print(
        f"  ratio pipeline/raw         {statistics.median(ratios):8.2f}   target >= {target} "
        f"(median of {repeat})"
    )


def _files_folder(folder: Path) -> Path:
    (folder / "files").mkdir(parents=True)
    return folder / "files"


def born_digital(root: Path, docs: int, workers: int, repeat: int) -> None:
    print(f"born-digital: {docs} two-page PDFs, {workers} processes each; raw is pypdfium2")
    folder = root / "born-digital"
    pdfs = make_pdfs(_files_folder(folder), docs)
    in_turns(Trial.of_files(folder, pdfs, "docs"), raw_extraction, workers, repeat, 0.5)


def ocr(root: Path, pages: int, workers: int, repeat: int) -> None:
    print(f"OCR: {pages} A4 page images at 150 dpi, {workers} processes each; raw is tesseract")
    folder = root / "scans"
    images = make_pages(_files_folder(folder), pages)
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


def memory(root: Path, sizes: list[int], workers: int) -> None:
    from workers.sources.synthetic import make_archive

    print("peak memory of the loader (max RSS, no scans)")
    for size in sizes:
        folder = root / f"synth-{size}"
        make_archive(folder, seed=5, people=max(20, size // 20), docs=size, scan_fraction=0.0)
        home = root / f"home-mem-{size}"
        env = _embedded_env(home)
        code = (
            "import resource,sys,json;from pathlib import Path;"
            "from core.settings import get_settings;from workers.load import load_archive;"
            f"s=load_archive(get_settings(),manifest=Path('{folder}/manifest.csv'),"
            f"people=Path('{folder}/people.csv'),workers={workers},progress=False);"
            "print(json.dumps({'rss_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024,"
            "'child_rss_mb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,"
            "'rows':s['rows'],'unaccounted':s['unaccounted'],'seconds':s['seconds']}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"  {size:>6} docs: loader {result['rss_mb']:6.0f} MB, largest sandbox child "
            f"{result['child_rss_mb']:6.0f} MB, {result['seconds']:.0f} s, "
            f"unaccounted {result['unaccounted']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--pages", type=int, default=12)
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
            born_digital(root, args.docs, args.workers, args.repeat)
        if "ocr" not in skip:
            ocr(root, args.pages, args.workers, args.repeat)
        if "long" not in skip:
            long_scan(root, args.long_pages, args.workers, args.repeat)
        if "memory" not in skip:
            memory(root, [int(s) for s in args.memory_docs.split(",") if s], args.workers)


if __name__ == "__main__":
    main()
