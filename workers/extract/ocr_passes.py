"""Reading one scanned page: Tesseract once, and again on a repaired image only where the
first pass read poorly; the better pass is kept by how much it read with confidence.

A clean page costs one Tesseract run (its confidences come in the same run) and a glance at a
small copy of the image. A poor page costs an orientation check (Tesseract OSD), the repair
(workers/extract/ocr_repair.py) and a second run. Thresholds: docs/decisions/0026.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageStat

from core.states import Reason
from domain.ocr import needs_review
from workers.extract import ocr_repair, tesseract
from workers.extract.base import Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.tesseract import Reading

# A first pass whose words are read with less mean confidence than this is read again.
POOR_CONFIDENCE = 0.85
# Typed text runs to ~300 characters a square inch of ink; a pass that reads confidently
# fewer than this many per square inch missed most of the page (a skew, a turned page).
_MIN_CHARS_PER_INK_INCH = 60
# The darkest 1% of a faded page is no darker than this grey; paper shades that differ this
# much across the page are uneven light. Both hide words Tesseract never reports as doubtful.
_FADED_INK = 96
_UNEVEN_PAPER = 24
# Lines of words sloping more than this many degrees: a skewed page, read in pieces even when
# each piece is read with confidence.
_SLANT = 1.0
# OSD's orientation confidence below which its answer is a guess.
_SURE_ORIENTATION = 2.0
_GLANCE_WIDTH = 620


@dataclass(frozen=True)
class PageOcr:
    """A page's OCR text, its confidence (0..1; None: no text on the page) and whether the
    text came from the repaired image."""

    text: str
    confidence: float | None
    repaired: bool = False

    @property
    def needs_review(self) -> bool:
        return needs_review(self.confidence)


@dataclass(frozen=True)
class Glance:
    """What a small copy of the page shows before any reading."""

    ink_square_inches: float
    faded: bool

    @property
    def blank(self) -> bool:
        return self.ink_square_inches < 0.05


def glance(image: Image.Image, dpi: float) -> Glance:
    """How much ink the page holds, and whether it is faded or unevenly lit."""
    page = ocr_repair.grey(image)
    factor = max(1, page.width // _GLANCE_WIDTH)
    small = page.reduce(factor) if factor > 1 else page
    histogram = small.histogram()
    total = sum(histogram)
    darkest = next(level for level, seen in enumerate(_running(histogram)) if seen >= total / 100)
    level = ocr_repair.otsu(small)
    ink_share = sum(histogram[: level + 1]) / total
    width = small.width
    strips = [
        ImageStat.Stat(small.crop((i * width // 4, 0, (i + 1) * width // 4, small.height)))
        for i in range(4)
    ]
    papers = [strip.median[0] for strip in strips]
    faded = darkest > _FADED_INK or max(papers) - min(papers) > _UNEVEN_PAPER
    inches = page.width * page.height / dpi**2
    # Ink over a whole faded page is mostly shade: count what the type would hold.
    return Glance(ink_square_inches=min(ink_share, 0.2) * inches, faded=faded)


def _running(histogram: list[int]) -> list[int]:
    seen, out = 0, []
    for count in histogram:
        seen += count
        out.append(seen)
    return out


def is_poor(reading: Reading, look: Glance) -> bool:
    """Whether a first pass is worth repairing the page and reading it again."""
    if look.blank:
        return False
    if reading.confidence is None or reading.confidence < POOR_CONFIDENCE or look.faded:
        return True
    if abs(reading.slant) > _SLANT:
        return True
    return reading.sure_chars < _MIN_CHARS_PER_INK_INCH * look.ink_square_inches


def read_page(
    image: Image.Image, limits: Limits, tmp_dir: Path, dpi: int | None, path: str | None = None
) -> PageOcr:
    """OCR one page. `path`: the same page as a file Tesseract reads itself (no re-encoding);
    `dpi`: its resolution where known (Tesseract guesses it otherwise)."""
    config = f"--dpi {dpi}" if dpi else ""
    with _as_file(image, tmp_dir, path) as name:
        try:
            first = tesseract.read(name, limits, tmp_dir, config)
        except ExtractionFailed as exc:
            if path is None or exc.reason != Reason.CORRUPT:
                raise
            # Leptonica failed on a file Pillow decoded (a JPEG it finds truncated, an odd
            # colour map): read what Pillow decoded.
            return read_page(image, limits, tmp_dir, dpi)
        look = glance(image, dpi or 300)
        if path is not None and first.words == 0 and not look.blank:
            # Tesseract's Leptonica cannot decode every TIFF (12-bit, float or signed samples,
            # some planar layouts): it reads nothing and exits 0. Read what Pillow decoded.
            return read_page(image, limits, tmp_dir, dpi)
        if not is_poor(first, look):
            return _page(first, look, repaired=False)
        found = tesseract.orientation(name, limits)
    clockwise = found[0] if found and found[1] >= _SURE_ORIENTATION else 0
    repaired = ocr_repair.repaired_page(image, clockwise)
    with _as_file(repaired, tmp_dir, None) as name:
        second = tesseract.read(name, limits, tmp_dir, config)
    if second.sure_chars > first.sure_chars:
        return _page(second, look, repaired=True)
    return _page(first, look, repaired=False)


def _page(reading: Reading, look: Glance, *, repaired: bool) -> PageOcr:
    confidence = reading.confidence
    if confidence is None and not look.blank:
        confidence = 0.0  # ink, and no word read from it: a person must look
    return PageOcr(reading.text, confidence, repaired)


@contextmanager
def _as_file(image: Image.Image, tmp_dir: Path, path: str | None) -> Iterator[str]:
    """The page as an image file for Tesseract: `path` where given, else a temporary
    uncompressed PGM (cheaper to write than PNG)."""
    if path is not None:
        yield path
        return
    page = image if image.mode in ("L", "RGB") else ocr_repair.grey(image)
    handle, name = tempfile.mkstemp(suffix=".pgm" if page.mode == "L" else ".ppm", dir=tmp_dir)
    try:
        with os.fdopen(handle, "wb") as out:
            page.save(out, format="PPM")
        yield name
    finally:
        os.unlink(name)
