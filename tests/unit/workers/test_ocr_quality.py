"""OCR against raw Tesseract on scans made here with their ground truth (workers/synth/scans.py):
turned, skewed, grainy, faded and faxed pages and a photocopied form read at least as well as
raw Tesseract reads them, a clean page read exactly as it does, and the doubtful pages flagged."""

from __future__ import annotations

import random
from pathlib import Path

import pytesseract
import pytest

from catalog.models import Document
from domain.ocr import REVIEW_BELOW, pages_to_review
from workers.extract.base import Limits, PageText
from workers.extract.ocr_repair import skew_angle
from workers.extract.registry import extract_file
from workers.ocr_review import record_confidence
from workers.stages import PageRanges
from workers.synth import scans

LIMITS = Limits()


def _file(scan: scans.Scan, tmp_path: Path) -> tuple[Path, str]:
    fax = scan.image.mode == "1"
    path = tmp_path / f"{scan.kind}.{'tif' if fax else 'png'}"
    path.write_bytes(scan.file_bytes())
    return path, "image/tiff" if fax else "image/png"


def _recalls(scan: scans.Scan, tmp_path: Path) -> tuple[float, float, float | None]:
    """Word recall of raw Tesseract and of escr on the same file, and escr's confidence."""
    path, mime = _file(scan, tmp_path)
    raw = pytesseract.image_to_string(str(path))
    result = extract_file(str(path), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    return (
        scans.word_recall(scan.truth, raw),
        scans.word_recall(scan.truth, result.text),
        result.ocr_confidence.get(1),
    )


def _page(seed: int) -> scans.Scan:
    return scans.letter_page(random.Random(seed), paragraphs=2)


def test_a_clean_page_reads_exactly_as_raw_tesseract_reads_it(tmp_path: Path) -> None:
    scan = _page(11)
    path, mime = _file(scan, tmp_path)
    result = extract_file(str(path), mime, LIMITS, str(tmp_path))
    assert result.text == pytesseract.image_to_string(str(path)).strip()
    assert scans.word_recall(scan.truth, result.text) > 0.95
    confidence = result.ocr_confidence[1]
    assert confidence is not None and confidence > REVIEW_BELOW


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_a_turned_page_reads_within_005_of_the_same_page_upright(
    quarter_turns: int, tmp_path: Path
) -> None:
    page = _page(12)
    _, upright, _ = _recalls(page, tmp_path)
    _raw, turned, _ = _recalls(scans.rotated(page, quarter_turns), tmp_path)
    assert turned >= upright - 0.05
    assert upright > 0.9


@pytest.mark.parametrize("degrees", [-8.0, 6.5, -3.5])
def test_a_skewed_page_is_straightened(degrees: float, tmp_path: Path) -> None:
    scan = scans.skewed(_page(13), degrees)
    # The angle is found (counter-clockwise to straighten: the opposite of the skew).
    assert skew_angle(scan.image) == pytest.approx(-degrees, abs=0.3)
    raw, ours, _ = _recalls(scan, tmp_path)
    assert ours >= max(raw, 0.9)


def test_a_grainy_speckled_page_reads_better_than_raw(tmp_path: Path) -> None:
    raw, ours, _ = _recalls(scans.noisy(_page(14), random.Random(14)), tmp_path)
    assert ours >= raw + 0.3
    assert ours > 0.85


def test_a_faded_unevenly_lit_page_reads_better_than_raw(tmp_path: Path) -> None:
    raw, ours, _ = _recalls(scans.low_contrast(_page(15)), tmp_path)
    assert raw < 0.9  # the fade hides words from raw Tesseract...
    assert ours > 0.95  # ...and levelling the light brings them back


def test_a_fax_g4_tiff_reads_no_worse_than_raw(tmp_path: Path) -> None:
    scan = scans.faxed(_page(16))
    assert scan.file_bytes()[:2] in (b"II", b"MM")
    raw, ours, _ = _recalls(scan, tmp_path)
    assert ours >= raw - 0.01
    assert ours > 0.85


def test_a_photocopied_form_reads_at_least_008_better_than_raw(tmp_path: Path) -> None:
    raw, ours, confidence = _recalls(scans.scanned_form(random.Random(17)), tmp_path)
    assert ours >= raw + 0.08
    assert confidence is not None


def test_a_printed_form_with_boxes_reads_as_well_as_raw(tmp_path: Path) -> None:
    raw, ours, _ = _recalls(scans.form_page(random.Random(18)), tmp_path)
    assert ours >= raw - 0.01


def test_pages_read_below_the_review_line_are_counted_and_listed() -> None:
    document = Document()
    record_confidence(document, {1: 0.95, 2: 0.41, 3: None, 4: REVIEW_BELOW - 0.01})
    assert document.ocr_review_pages == 2
    assert document.ocr_confidence == pytest.approx((0.95 + 0.41 + REVIEW_BELOW - 0.01) / 3, 1e-3)
    assert pages_to_review(document.ocr_page_confidence) == [2, 4]
    record_confidence(document, {})
    assert document.ocr_confidence is None and document.ocr_review_pages == 0


def test_word_recall_counts_repeats_and_ignores_case_and_punctuation() -> None:
    assert scans.word_recall("The cat, the CAT.", "the cat") == 0.5
    assert scans.word_recall("NHS number: 999 123 4567", "nhs NUMBER 999 123 4567") == 1.0
    assert scans.word_recall("", "anything") == 1.0


def test_page_confidence_survives_ocr_by_page_range() -> None:
    ranges = PageRanges("application/pdf", 3)
    ranges.add([PageText(2, "scanned", ocr=True, confidence=0.42)])
    ranges.add([PageText(1, "layer"), PageText(3, "scanned too", ocr=True, confidence=0.9)])
    result = ranges.result(LIMITS)
    assert result is not None and result.ok
    assert result.ocr_confidence == {2: 0.42, 3: 0.9}
