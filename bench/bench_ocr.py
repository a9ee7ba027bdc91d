"""OCR pages/s through SandboxPool vs raw `tesseract` processes on the same page images.

.venv/bin/python -m bench.bench_ocr [--pages 16] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from workers.extract.base import Limits
from workers.sandbox import SandboxPool

_LINE = "The family were seen at home on {n} March; the children were well and at school."


def make_pages(directory: Path, count: int, dpi: int = 150) -> list[Path]:
    """A4-sized pages at `dpi` with 30 lines of typed text each (the same text at any dpi)."""
    scale = dpi / 150
    font = ImageFont.load_default(size=round(22 * scale))
    paths = []
    for page in range(count):
        image = Image.new("L", (round(1240 * scale), round(1754 * scale)), 255)
        draw = ImageDraw.Draw(image)
        for line in range(30):
            where = (round(80 * scale), round((80 + line * 52) * scale))
            draw.text(where, _LINE.format(n=page + line), fill=0, font=font)
        path = directory / f"page-{page:03}.png"
        image.save(path, dpi=(dpi, dpi))
        paths.append(path)
    return paths


def raw_tesseract(pages: list[Path], workers: int) -> float:
    """Pages/s of plain `tesseract page stdout` processes, `workers` at a time."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def run(path: Path) -> None:
        subprocess.run(["tesseract", str(path), "stdout"], env=env, capture_output=True, check=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as executor:
        list(executor.map(run, pages))
    return len(pages) / (time.perf_counter() - started)


def through_pool(pages: list[Path], workers: int, tmp_dir: Path) -> float:
    """Pages/s of the same pages submitted to a warm SandboxPool of `workers` children."""
    # Generous time limits: a loaded machine must slow the benchmark, not fail its pages.
    limits = Limits(timeout_s=1200, ocr_page_timeout_s=1200)
    with SandboxPool(workers, limits, tmp_dir) as pool:
        # Start every child first: start-up is paid once per pool, not per page.
        for future in [pool.submit(str(pages[0]), "image/png") for _ in range(workers)]:
            future.result()
        started = time.perf_counter()
        futures = [pool.submit(str(path), "image/png") for path in pages]
        results = [future.result() for future in futures]
        elapsed = time.perf_counter() - started
    failed = [result.reason for result in results if not (result.ok and result.text)]
    if failed:
        raise SystemExit(f"OCR failed in the pool: {failed}")
    return len(pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    raws, pools = [], []
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        pages = make_pages(directory, args.pages)
        for _ in range(args.rounds):
            raws.append(raw_tesseract(pages, args.workers))
            pools.append(through_pool(pages, args.workers, directory))
    raw, pooled = max(raws), max(pools)
    print(f"pages={args.pages} workers={args.workers} rounds={args.rounds}")
    print("raw rounds:  " + " ".join(f"{value:.2f}" for value in raws))
    print("pool rounds: " + " ".join(f"{value:.2f}" for value in pools))
    print(f"raw tesseract: {raw:.2f} pages/s")
    print(f"sandbox pool:  {pooled:.2f} pages/s")
    print(f"ratio pool/raw: {pooled / raw:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
