"""One Tesseract run: a page's text and its word confidences from the same process.

Tesseract writes the plain text (exactly what `tesseract page stdout` prints) and a TSV of its
words with their confidences in one run, so knowing how well a page read costs nothing more
than reading it (docs/decisions/0026).
"""

from __future__ import annotations

import csv
import math
import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from pytesseract.pytesseract import run_tesseract

from core.states import Reason
from workers.extract.base import Limits
from workers.extract.failures import ExtractionFailed

# Two renderers in one run: the text (Tesseract's `txt` config) and the words' TSV (pytesseract
# passes a `tsv` extension on only as this variable).
_RENDERERS = "txt"
_TSV = "-c tessedit_create_tsv=1"


@dataclass(frozen=True)
class Reading:
    """What one Tesseract pass read on a page.

    `confidence` is the mean of the word confidences (0..1) weighted by word length, None when
    no word was read; `sure_chars` counts the characters of words read with confidence at least
    SURE: the measure by which two passes over one page are compared, since a pass that reads
    garbage reads little of it confidently. `slant`: the median slope of its lines of words, in
    degrees (see _slant)."""

    text: str
    words: int
    confidence: float | None
    sure_chars: int
    slant: float = 0.0


SURE = 0.6


@contextmanager
def _guarded() -> Iterator[None]:
    """Tesseract's failures as the reasons a document ends with."""
    try:
        yield
    except pytesseract.TesseractError as exc:  # before RuntimeError, which it subclasses
        if "alloc" in str(exc).lower():
            raise ExtractionFailed(Reason.MEMORY_LIMIT, "tesseract out of memory") from exc
        raise ExtractionFailed(Reason.CORRUPT, f"tesseract failed ({exc.status})") from exc
    except RuntimeError as exc:
        # pytesseract kills Tesseract and raises a bare RuntimeError when the timeout passes.
        if "timeout" in str(exc).lower():
            raise ExtractionFailed(Reason.TIMEOUT, "OCR page timeout") from exc
        raise


def read(path: str, limits: Limits, tmp_dir: Path, config: str = "") -> Reading:
    """Text and confidences of the image file at `path`, under the per-page time limit."""
    handle, base = tempfile.mkstemp(prefix="ocr-", dir=tmp_dir)
    os.close(handle)
    try:
        with _guarded():
            run_tesseract(
                path,
                base,
                extension=_RENDERERS,
                lang=limits.ocr_language,
                config=f"{_TSV} {config}".strip(),
                timeout=limits.ocr_page_timeout_s,
            )
        text = Path(f"{base}.txt").read_text(encoding="utf-8", errors="replace")
        return _reading(text, Path(f"{base}.tsv"))
    finally:
        for name in (base, f"{base}.txt", f"{base}.tsv"):
            Path(name).unlink(missing_ok=True)


def _reading(text: str, tsv: Path) -> Reading:
    words = chars = sure = 0
    weighted = 0.0
    lines: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    with tsv.open(encoding="utf-8", errors="replace", newline="") as rows:
        for row in csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE):
            word = (row.get("text") or "").strip()
            conf = float(row.get("conf") or -1)
            if row.get("level") != "5" or not word or conf < 0:
                continue
            words += 1
            chars += len(word)
            weighted += conf / 100 * len(word)
            sure += len(word) if conf / 100 >= SURE else 0
            left, top, width, height = (int(row[key]) for key in ("left", "top", "width", "height"))
            line = (row["block_num"], row["par_num"], row["line_num"])
            lines.setdefault(line, []).append((left + width / 2, top + height))
    confidence = round(weighted / chars, 3) if chars else None
    return Reading(text, words, confidence, sure, _slant(list(lines.values())))


def _slant(lines: list[list[tuple[float, float]]]) -> float:
    """The median slope, in degrees, of the lines of words Tesseract found: the line through
    its words' feet (least squares), over lines of three words or more. A straight page's
    lines are level; a skewed page's lines, read in pieces, keep the page's slope."""
    slopes = []
    for feet in lines:
        if len(feet) < 3:
            continue
        mean_x = sum(x for x, _ in feet) / len(feet)
        mean_y = sum(y for _, y in feet) / len(feet)
        spread = sum((x - mean_x) ** 2 for x, _ in feet)
        if spread > 0:
            slopes.append(sum((x - mean_x) * (y - mean_y) for x, y in feet) / spread)
    return math.degrees(math.atan(statistics.median(slopes))) if slopes else 0.0


def orientation(path: str, limits: Limits) -> tuple[int, float] | None:
    """The clockwise turn (0, 90, 180, 270) that sets the page upright and Tesseract's
    confidence in it (OSD); None where the page has too little text to tell."""
    try:
        with _guarded():
            found = pytesseract.image_to_osd(
                path, output_type=pytesseract.Output.DICT, timeout=limits.ocr_page_timeout_s
            )
    except ExtractionFailed as exc:
        if exc.reason == Reason.CORRUPT:  # "Too few characters": no orientation to find
            return None
        raise
    if "rotate" not in found:  # Leptonica could not decode the file: Tesseract printed nothing
        return None
    return int(found["rotate"]) % 360, float(found["orientation_conf"])
