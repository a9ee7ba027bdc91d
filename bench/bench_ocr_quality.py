"""OCR word recall and speed: escr's OCR against raw Tesseract on the same generated scans.

Each scan (workers/synth/scans.py: typed case notes and referral forms at 300 dpi, with
ground truth) is spoiled one way, written as a file a scanner would make, and read twice in
one run: by raw Tesseract (`pytesseract.image_to_string` on the file, as escr did before) and by
escr's whole extraction path (`workers.extract.registry.extract_file`). Speed is timed on clean
pages, alternating the two, over the whole path.

.venv/bin/python -m bench.bench_ocr_quality [--pages 2] [--speed-pages 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytesseract

from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.synth import scans

Category = Callable[[random.Random], scans.Scan]


CATEGORIES: dict[str, Category] = {
    "clean": lambda rng: scans.letter_page(rng),
    "rotated": lambda rng: scans.rotated(scans.letter_page(rng), rng.choice((1, 2, 3))),
    "skewed": lambda rng: scans.skewed(
        scans.letter_page(rng), rng.choice((-1, 1)) * rng.uniform(3, 8)
    ),
    "noisy": lambda rng: scans.noisy(scans.letter_page(rng), rng),
    "low_contrast": lambda rng: scans.low_contrast(scans.letter_page(rng)),
    "fax_g4": lambda rng: scans.faxed(scans.letter_page(rng)),
    "form": lambda rng: scans.form_page(rng),
    "scanned_form": scans.scanned_form,
}


def _write(scan: scans.Scan, directory: Path, name: str) -> tuple[Path, str]:
    fax = scan.image.mode == "1"
    path = directory / f"{name}.{'tif' if fax else 'png'}"
    path.write_bytes(scan.file_bytes())
    return path, "image/tiff" if fax else "image/png"


def raw_text(path: Path) -> str:
    """What raw Tesseract reads from the file."""
    text: str = pytesseract.image_to_string(str(path))
    return text


def escr_text(path: Path, mime: str, limits: Limits, tmp_dir: Path) -> str:
    """What escr's extraction reads from the file (the whole path a sandbox child runs)."""
    result = extract_file(str(path), mime, limits, str(tmp_dir))
    if not result.ok:
        raise SystemExit(f"{path.name}: extraction failed: {result.reason} {result.detail}")
    return result.text


def recall_table(pages: int, seed: int, directory: Path, limits: Limits) -> None:
    """Mean word recall of raw Tesseract and of escr on each category."""
    print(f"{'category':14} {'raw':>6} {'escr':>6} {'gain':>6}  (word recall, {pages} pages each)")
    for name, make in CATEGORIES.items():
        raws, ours = [], []
        for number in range(pages):
            scan = make(random.Random(seed * 1000 + number))
            path, mime = _write(scan, directory, f"{name}-{number}")
            raws.append(scans.word_recall(scan.truth, raw_text(path)))
            ours.append(scans.word_recall(scan.truth, escr_text(path, mime, limits, directory)))
        raw, our = statistics.mean(raws), statistics.mean(ours)
        print(f"{name:14} {raw:6.3f} {our:6.3f} {our - raw:+6.3f}")


def rotation_table(seed: int, directory: Path, limits: Limits) -> None:
    """escr's recall on one page upright and turned each way."""
    page = scans.letter_page(random.Random(seed))
    path, mime = _write(page, directory, "upright")
    upright = scans.word_recall(page.truth, escr_text(path, mime, limits, directory))
    line = f"upright {upright:.3f}"
    for turns in (1, 2, 3):
        turned = scans.rotated(page, turns)
        path, mime = _write(turned, directory, f"turned-{turns}")
        recall = scans.word_recall(page.truth, escr_text(path, mime, limits, directory))
        line += f"  {turns * 90}: {recall:.3f} ({recall - upright:+.3f})"
    print(f"escr, one page: {line}  (target: within 0.05 of upright)")


def speed(pages: int, rounds: int, seed: int, directory: Path, limits: Limits) -> None:
    """Seconds a clean page, raw against escr: each page read by both in turn (which goes
    first alternates), the fastest of `rounds` readings of each page kept, so that other work
    on a shared machine weighs on both alike."""
    files = [
        _write(scans.letter_page(random.Random(seed + n), paragraphs=9), directory, f"s{n}")
        for n in range(pages)
    ]
    best: dict[str, list[float]] = {"raw": [1e9] * pages, "escr": [1e9] * pages}
    readers: dict[str, Callable[[Path, str], object]] = {
        "raw": lambda path, _mime: raw_text(path),
        "escr": lambda path, mime: escr_text(path, mime, limits, directory),
    }
    for round_no in range(rounds):
        order = ["raw", "escr"] if round_no % 2 == 0 else ["escr", "raw"]
        for number, (path, mime) in enumerate(files):
            for name in order:
                started = time.perf_counter()
                readers[name](path, mime)
                elapsed = time.perf_counter() - started
                best[name][number] = min(best[name][number], elapsed)
    raw, ours = sum(best["raw"]), sum(best["escr"])
    print(f"clean A4 pages, best of {rounds} each: raw {raw / pages:.3f} s/page, ", end="")
    print(f"escr {ours / pages:.3f} s/page; speed escr/raw {raw / ours:.3f} (target >= 0.85)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2, help="pages per category")
    parser.add_argument("--speed-pages", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread, as in the sandbox
    limits = Limits(timeout_s=1200, ocr_page_timeout_s=1200)
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        recall_table(args.pages, args.seed, directory, limits)
        rotation_table(args.seed, directory, limits)
        speed(args.speed_pages, args.rounds, args.seed, directory, limits)


if __name__ == "__main__":
    main()
