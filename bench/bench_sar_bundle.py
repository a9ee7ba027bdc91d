"""The SAR bundle's cost (issue 15, docs/decisions/0034), side by side in one run: building a
bundle (burn-in of every page, the release gate, assembly, zip) against PDFium's rasterising of
the same pages alone, on the same two sandbox processes; and the gate's cost a page.

Documents are born-digital case records of `--pages` pages written by fpdf2 with the synthetic
archive's wording (workers/synth/text.py), a neighbour's name on about a third of the pages.
Run small here and extrapolated: `python -m bench.bench_sar_bundle --docs 20 --pages 5`.
(bench/bench_sar.py times collation.)
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from workers.extract.base import Limits
from workers.redact.bundle import BundleDocument, LogEntry, build_bundle
from workers.redact.front import Letter
from workers.sandbox import SandboxPool
from workers.synth.text import NEUTRAL, STAFF

NEIGHBOUR = "Peter Walsh"


def _document(path: Path, rng: random.Random, pages: int) -> bool:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    named = False
    for _ in range(pages):
        pdf.add_page()
        paragraphs = []
        for _ in range(6):
            text = rng.choice(NEUTRAL).format(
                first="Jane", name="Jane Smith", worker=rng.choice(STAFF), date="01/02/2024"
            )
            paragraphs.append(text)
        if rng.random() < 0.33:
            paragraphs.insert(2, f"The neighbour, {NEIGHBOUR}, rang the duty team again.")
            named = True
        pdf.multi_cell(0, 6, "\n\n".join(paragraphs).encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(path))
    return named


def _rasterise(path: str) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    for page in document:
        page.render(scale=200 / 72).to_pil()
    return len(document)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        documents = []
        for number in range(args.docs):
            path = root / f"d{number}.pdf"
            _document(path, rng, args.pages)
            log = (LogEntry("Sch2 Pt3 third party", "neighbour", "ig2", term=NEIGHBOUR),)
            documents.append(
                BundleDocument(number, f"Case record {number}", "2024-02-01", "case_note",
                               "PARIS", path, args.pages, terms=(NEIGHBOUR,), log=log)
            )  # fmt: skip
        pages = args.docs * args.pages
        started = time.monotonic()
        with ProcessPoolExecutor(args.workers) as executor:
            list(executor.map(_rasterise, [str(d.rendition) for d in documents]))
        raw = time.monotonic() - started
        with SandboxPool(args.workers, Limits(timeout_s=600), root) as pool:
            started = time.monotonic()
            outcome = build_bundle(
                pool, documents, Letter("Jane Smith", "SAR-1", "2025-01-01", "2025-01-20", 0, 0),
                root / "out",
            )  # fmt: skip
            whole = time.monotonic() - started
        assert outcome.ok, outcome.problems
        print(f"documents {args.docs}, pages {pages} (+{outcome.pages - pages} escr wrote), "
              f"workers {args.workers}")  # fmt: skip
        print(
            f"raw PDFium rasterising at 200 dpi: {raw:.2f} s ({raw / pages * 1000:.0f} ms a page)"
        )
        stages = {k: round(v, 2) for k, v in outcome.seconds.items()}
        print(
            f"bundle: {whole:.2f} s ({whole / pages * 1000:.0f} ms a page), "
            f"{whole / raw:.1f}x raw; stages {stages}"
        )
        scale = 5000 / pages
        print(f"extrapolated to 5,000 pages: raw {raw * scale:.0f} s, bundle {whole * scale:.0f} s")
        print(f"bundle.pdf {outcome.pdf.stat().st_size / 2**20:.1f} MiB" if outcome.pdf else "")


if __name__ == "__main__":
    main()
