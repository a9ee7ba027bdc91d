"""Rendition cost per document type, against the raw tool doing the same conversion itself on
the same files, and born-digital loading with and without renditions (issue 13, section 5).

.venv/bin/python -m bench.bench_renditions [--docs 60] [--pdfs 100] [--scan-fraction 0.3]
    [--texts 30] [--skip types,texts,load]

Per type, one file at a time on each side (seconds a document and a page):
  scans   escr (sandbox, Tesseract's PDF renderer)  vs  `tesseract FILE out pdf`
  office  escr (sandbox, warm LibreOffice)          vs  the same convert() in this process
  pdf     escr (sandbox, PDFium opens it)           vs  PDFium opening it in this process
  email/html/text  escr (fpdf2 layout)              vs  LibreOffice convert() (the
          alternative considered: its own text and HTML import; EML it cannot read)
Then plain-text files of realistic length (--texts of them: the text of the synthetic archive's
realistic case records, 2-40 KB, 1-20 pages), escr against LibreOffice the same way: the mixed
archive's text files are one page each, so they show the fixed cost only. Then `escr load` of N
realistic born-digital PDFs without and with --render: the load's own seconds must not change;
the renditions are timed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from pypdf import PdfReader

from workers.extract.base import Limits
from workers.filetype import detect
from workers.render.base import RenderRequest
from workers.sandbox import SandboxPool
from workers.synth.archive import make_archive

KINDS = {
    "pdf": "pdf",
    "tif": "scan",
    "tiff": "scan",
    "jpg": "scan",
    "png": "scan",
    "docx": "office",
    "rtf": "office",
    "odt": "office",
    "doc": "office",
    "eml": "email",
    "htm": "html",
    "html": "html",
    "txt": "text",
}


def corpus(folder: Path, docs: int, scan_fraction: float) -> dict[str, list[Path]]:
    """The mixed synthetic archive's readable files, by kind."""
    archive = make_archive(folder, seed=11, people=20, docs=docs, scan_fraction=scan_fraction)
    found: dict[str, list[Path]] = defaultdict(list)
    for path in sorted((archive.root / "files").rglob("*")):
        kind = KINDS.get(path.suffix.lower().lstrip("."))
        if kind and path.stat().st_size:
            found[kind].append(path)
    return found


def through_escr(files: list[Path], pool: SandboxPool, out: Path) -> tuple[float, int, int]:
    """Seconds, pages and failures of rendering each file in the sandbox, one at a time."""
    seconds, pages, failed = 0.0, 0, 0
    for index, path in enumerate(files):
        request = RenderRequest(
            str(path), detect(path).mime, str(out / f"{index}.pdf"), timeout_s=600.0
        )
        started = time.perf_counter()
        result = pool.render(request).result()
        seconds += time.perf_counter() - started
        pages += result.pages
        failed += not result.ok
    return seconds, pages, failed


def raw_tesseract(files: list[Path], out: Path) -> tuple[float, int]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started, pages = time.perf_counter(), 0
    for index, path in enumerate(files):
        base = out / f"t{index}"
        subprocess.run(["tesseract", str(path), str(base), "pdf"], env=env, capture_output=True)
        pages += len(PdfReader(f"{base}.pdf").pages)
    return time.perf_counter() - started, pages


def raw_libreoffice(files: list[Path], out: Path) -> tuple[float, int]:
    """The same warm LibreOffice converting each file itself, called in this process (no
    sandbox job around it), its first start paid before timing."""
    from workers.convert.libreoffice import convert

    limits = Limits(timeout_s=600)
    convert(files[0], "pdf", out / "warm", limits)
    started, pages = time.perf_counter(), 0
    for index, path in enumerate(files):
        made = convert(path, "pdf", out / str(index), limits)
        pages += len(PdfReader(made).pages)
    return time.perf_counter() - started, pages


def raw_pdfium(files: list[Path]) -> tuple[float, int]:
    import pypdfium2 as pdfium

    started, pages = time.perf_counter(), 0
    for path in files:
        try:
            document = pdfium.PdfDocument(str(path), password=None)
        except pdfium.PdfiumError:  # the archive's encrypted and damaged ones
            continue
        pages += len(document)
        document.close()
    return time.perf_counter() - started, pages


def per_type(folder: Path, docs: int, scan_fraction: float) -> None:
    files = corpus(folder / "archive", docs, scan_fraction)
    print(
        f"{'kind':<7} {'docs':>4} {'pages':>5}  {'escr s/doc':>10} {'s/page':>7}  "
        f"{'raw s/doc':>9} {'s/page':>7}  {'escr/raw':>8}  raw tool"
    )
    (folder / "sandbox").mkdir()
    with SandboxPool(1, Limits(timeout_s=600), folder / "sandbox") as pool:
        # Warm: the child, and LibreOffice's first start, are paid before any timing.
        warm = folder / "warm"
        warm.mkdir()
        for kind in ("office", "scan", "email"):
            if files.get(kind):
                through_escr(files[kind][:1], pool, warm)
        for kind in ("pdf", "scan", "office", "email", "html", "text"):
            chosen = files.get(kind, [])
            if not chosen:
                continue
            mine_dir, raw_dir = folder / f"escr-{kind}", folder / f"raw-{kind}"
            mine_dir.mkdir()
            raw_dir.mkdir()
            seconds, pages, failed = through_escr(chosen, pool, mine_dir)
            if kind == "scan":
                raw_s, raw_pages, tool = *raw_tesseract(chosen, raw_dir), "tesseract FILE out pdf"
            elif kind == "pdf":
                raw_s, raw_pages, tool = *raw_pdfium(chosen), "PDFium open, in process"
            elif kind == "email":
                raw_s, raw_pages, tool = 0.0, 0, "(no raw tool reads EML to PDF)"
            else:
                raw_s, raw_pages = raw_libreoffice(chosen, raw_dir)
                tool = "LibreOffice convert(), warm, in process"
            n = len(chosen)
            ratio = f"{(seconds / n) / (raw_s / n):8.2f}" if raw_s else "       -"
            raw_doc = f"{raw_s / n:9.3f}" if raw_s else "        -"
            raw_page = f"{raw_s / max(1, raw_pages):7.3f}" if raw_s else "      -"
            print(
                f"{kind:<7} {n:>4} {pages:>5}  {seconds / n:10.3f} {seconds / max(1, pages):7.3f}  "
                f"{raw_doc} {raw_page}  {ratio}  {tool}"
                + (f"  ({failed} failed)" if failed else "")
            )


def long_texts(folder: Path, count: int) -> None:
    """Plain-text files as long as real case records, rendered by escr and by LibreOffice."""
    import pypdfium2 as pdfium

    archive = make_archive(folder / "texts", seed=7, people=20, docs=count, profile="realistic")
    texts, sizes = folder / "texts-txt", []
    texts.mkdir()
    files = []
    for index, pdf in enumerate(sorted((archive.root / "files").rglob("*.pdf"))):
        document = pdfium.PdfDocument(str(pdf))
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
        document.close()
        path = texts / f"{index}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(path)
        sizes.append(len(text.encode()) / 1000)
    (folder / "long-sandbox").mkdir()
    (folder / "long-escr").mkdir()
    (folder / "long-raw").mkdir()
    with SandboxPool(1, Limits(timeout_s=600), folder / "long-sandbox") as pool:
        through_escr(files[:1], pool, folder / "long-sandbox")  # the child warm
        seconds, pages, failed = through_escr(files, pool, folder / "long-escr")
    raw_s, raw_pages = raw_libreoffice(files, folder / "long-raw")
    n = len(files)
    print(
        f"text files of realistic length: {n}, {min(sizes):.1f}-{max(sizes):.1f} KB "
        f"(median {statistics.median(sizes):.1f}); escr {seconds / n:.3f} s a file, "
        f"{pages} pages; LibreOffice {raw_s / n:.3f} s a file, {raw_pages} pages; "
        f"escr/raw {seconds / raw_s:.2f}" + (f" ({failed} failed)" if failed else "")
    )


def loading(folder: Path, pdfs: int, repeat: int) -> None:
    """`escr load` of realistic born-digital PDFs, without and with --render, alternated."""
    archive = make_archive(folder / "realistic", seed=5, people=40, docs=pdfs, profile="realistic")
    seconds: dict[bool, list[float]] = {False: [], True: []}
    for run, render in enumerate([False, True] * repeat):
        home = folder / f"home-{run}"
        env = {**os.environ, "ESCR_HOME": str(home)}
        for name in ("ESCR_DATABASE__URL", "ESCR_STORAGE__BACKEND", "ESCR_INDEX__BACKEND"):
            env.pop(name, None)
        command = [
            shutil.which("escr") or ".venv/bin/escr",
            "load",
            str(archive.manifest_path),
            "--people",
            str(archive.people_path),
            "--quiet",
            "--workers",
            "2",
            "--render" if render else "--no-render",
        ]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        made = summary.get("renditions", {})
        seconds[render].append(summary["seconds"])
        print(
            f"load {pdfs} PDFs render={render!s:<5} load seconds {summary['seconds']:6.2f}  "
            f"renditions {made.get('seconds', 0):5.2f} s ({made.get('original', 0)} original)  "
            f"whole command {wall:6.2f} s"
        )
    without, with_ = statistics.median(seconds[False]), statistics.median(seconds[True])
    print(
        f"median load seconds: without renditions {without:.2f}, with {with_:.2f} "
        f"(ratio {with_ / without:.2f}; the load's own time, renditions apart)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=60, help="mixed archive rows (60)")
    parser.add_argument("--scan-fraction", type=float, default=0.3, help="of them scans (0.3)")
    parser.add_argument("--pdfs", type=int, default=100, help="realistic PDFs to load (100)")
    parser.add_argument("--repeat", type=int, default=3, help="loads each way, alternated (3)")
    parser.add_argument("--texts", type=int, default=30, help="realistic-length texts (30)")
    parser.add_argument("--skip", default="", help="comma list of: types,texts,load")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory(prefix="bench-renditions-") as folder:
        if "types" not in skip:
            per_type(Path(folder), args.docs, args.scan_fraction)
        if "texts" not in skip:
            long_texts(Path(folder), args.texts)
        if "load" not in skip:
            loading(Path(folder), args.pdfs, args.repeat)


if __name__ == "__main__":
    main()
