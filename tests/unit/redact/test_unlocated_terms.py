"""A redacted term that extraction read on a scanned page (with OCR repair) but the burn-in
cannot find on the page image (a faint or speckled scan, decision 0047) had nothing drawn over
it, and the gate, reading the same image, cannot see it either: the bundle is refused until a
reviewer's box covers that page (workers/redact/bundle.unlocated_terms)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from workers.extract.base import Limits
from workers.redact.base import Box
from workers.redact.bundle import WHOLE_FILE, BundleDocument, BundleOutcome, LogEntry, build_bundle
from workers.redact.front import Letter
from workers.sandbox import SandboxPool

NAME = "Peter Walsh"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _scan(path: Path, line: str) -> Path:
    """A one-page image-only PDF (no text layer), as a scan's rendition is drawn."""
    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    ImageDraw.Draw(page).text((150, 300), line, fill=0, font=ImageFont.truetype(FONT, 44))
    page.save(path, "PDF", resolution=200)
    return path


def _bundle(
    tmp_path: Path, scan: Path, read: dict[int, str], boxes: tuple[Box, ...] = ()
) -> BundleOutcome:
    document = BundleDocument(
        7, "Home visit", "2024-02-01", "case_note", "PARIS", scan, 1,
        terms=(NAME,), boxes=boxes, read_pages=read,
        log=(LogEntry("Sch2 Pt3 third party", "neighbour", "ig2", term=NAME),),
    )  # fmt: skip
    (tmp_path / "sandbox").mkdir(exist_ok=True)
    with SandboxPool(1, Limits(timeout_s=120), tmp_path / "sandbox") as pool:
        return build_bundle(
            pool, [document], Letter("Jane Smith", "SAR-1", "2025-01-01", "2025-01-20", 0, 0),
            tmp_path / "out",
        )  # fmt: skip


@pytest.fixture
def unreadable(tmp_path: Path) -> Path:
    """The page as the burn-in sees it: the name not there to read (on a speckled scan
    Tesseract reads nothing), though extraction, repairing the scan first, read it."""
    return _scan(tmp_path / "scan.pdf", "Home visit. The children were at school.")


def test_a_term_read_at_loading_but_not_found_on_the_image_stops_the_bundle(
    tmp_path: Path, unreadable: Path
) -> None:
    outcome = _bundle(tmp_path, unreadable, {0: f"Home visit. The neighbour {NAME} rang."})
    assert not outcome.ok and outcome.pdf is None
    assert any("page 1" in p and "draw a box" in p for p in outcome.problems), outcome.problems
    # Logged and audited: the term itself is never in the message.
    assert not any(NAME in p or "Walsh" in p for p in outcome.problems)
    assert not (tmp_path / "out" / "bundle.pdf").exists()


def test_a_reviewers_box_on_that_page_lets_it_through(tmp_path: Path, unreadable: Path) -> None:
    box = (Box(0, 60, 100, 500, 140),)
    outcome = _bundle(tmp_path, unreadable, {0: f"The neighbour {NAME} rang."}, box)
    assert outcome.ok, outcome.problems


def test_a_text_with_no_page_breaks_is_checked_against_the_whole_file(
    tmp_path: Path, unreadable: Path
) -> None:
    outcome = _bundle(tmp_path, unreadable, {WHOLE_FILE: f"The neighbour {NAME} rang."})
    assert not outcome.ok
    assert any("a page" in p for p in outcome.problems), outcome.problems


def test_a_term_the_burn_in_found_and_burned_passes(tmp_path: Path) -> None:
    scan = _scan(tmp_path / "clear.pdf", f"Home visit. The neighbour {NAME} rang again.")
    outcome = _bundle(tmp_path, scan, {0: f"Home visit. The neighbour {NAME} rang again."})
    assert outcome.ok, outcome.problems


def test_a_term_not_read_at_loading_is_not_asked_for(tmp_path: Path, unreadable: Path) -> None:
    outcome = _bundle(tmp_path, unreadable, {0: "Home visit. The children were at school."})
    assert outcome.ok, outcome.problems


def test_the_pages_read_are_those_extraction_ocred(monkeypatch: pytest.MonkeyPatch) -> None:
    """api.sar_release hands the burn-in the text of each OCRed page, by its 0-based number."""
    from types import SimpleNamespace

    from api import sar_release

    texts = {1: "born digital\fscanned page\fscanned too", 2: "one text, no page breaks"}
    monkeypatch.setattr(sar_release, "get_text", lambda _session, document_id: texts[document_id])

    def read(document_id: int, ocr_pages: int, confidence: dict[str, float] | None) -> object:
        document = SimpleNamespace(
            id=document_id, ocr_pages=ocr_pages, ocr_page_confidence=confidence
        )
        return sar_release._read_pages(None, document, 3)  # type: ignore[arg-type]

    assert read(1, 2, {"2": 0.9, "3": 0.4}) == {1: "scanned page", 2: "scanned too"}
    assert read(1, 3, None) == {0: "born digital", 1: "scanned page", 2: "scanned too"}
    assert read(1, 0, None) == {}  # nothing OCRed: the gate's own reading is the proof
    assert read(2, 1, {"1": 0.8}) == {WHOLE_FILE: "one text, no page breaks"}
