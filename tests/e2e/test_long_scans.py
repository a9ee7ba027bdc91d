"""A long scan (a multi-page TIFF, a scanned PDF) is OCRed by page range, a range a sandbox job
under its own time limit, and its pages put back together in order (docs/decisions/0014)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from catalog import documents as docs
from catalog.db import session_factory
from catalog.models import Document
from core.settings import Settings
from tests.e2e.test_migration import _load, _rows
from tests.factories import hostile
from workers.extract.base import PageRange
from workers.sandbox import SandboxPool

PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\nMOS1,Mosaic,PARIS:1,Ann,Ash,2010-01-01,,,children\n"
)
WORDS = ["Referral", "Visit", "Plan", "Review", "Outcome"]


def _fax_tiff(path: Path, frames: list[Image.Image]) -> Path:
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    return path


def _dense_page(number: int) -> Image.Image:
    """An A4 page at 150 dpi of thirty typed lines: Tesseract takes most of a second on it."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=22)
    for line in range(30):
        text = f"Page {number} line {line}: the family was visited and the plan was reviewed."
        draw.text((80, 80 + line * 52), text, fill=0, font=font)
    return page.convert("1")


def _scanned_pdf(path: Path, words: list[str]) -> Path:
    pdf = FPDF()
    for word in words:
        pdf.add_page()
        pdf.image(hostile.make_text_image(word), x=10, y=10, w=180)
    path.write_bytes(bytes(pdf.output()))
    return path


def _archive(root: Path, files: dict[str, Path]) -> Path:
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "legacy_person_id", "file_path"])
        for source_id, path in files.items():
            writer.writerow(["PARIS", source_id, "1", path.relative_to(root).as_posix()])
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    return root


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, PageRange | None]]:
    """Every extraction job the load sends to the sandbox: (MIME type, pages)."""
    jobs: list[tuple[str, PageRange | None]] = []
    original = SandboxPool.submit

    def spy(self: SandboxPool, path: str, mime: str, pages: PageRange | None = None):  # type: ignore[no-untyped-def]
        jobs.append((mime, pages))
        return original(self, path, mime, pages)

    monkeypatch.setattr(SandboxPool, "submit", spy)
    return jobs


def test_long_scans_are_ocred_by_page_range_in_order(
    settings: Settings, tmp_path: Path, submitted: list[tuple[str, PageRange | None]]
) -> None:
    settings.ocr.pages_per_task = 2
    root = tmp_path / "archive"
    (root / "files").mkdir(parents=True)
    frames = [hostile.make_text_image(word).convert("1") for word in WORDS]
    archive = _archive(
        root,
        {
            "T1": _fax_tiff(root / "files" / "bundle.tif", frames),
            "P1": _scanned_pdf(root / "files" / "bundle.pdf", WORDS),
        },
    )
    summary = _load(settings, archive)
    assert (summary["indexed"], summary["unaccounted"]) == (2, 0)

    with session_factory(settings.database_url)() as session:
        for source_id, engine in (("T1", "tesseract"), ("P1", "pdfium+tesseract")):
            document = session.scalars(
                select(Document).where(Document.source_document_id == source_id)
            ).one()
            assert (document.pages, document.ocr_pages, document.engine) == (5, 5, engine)
            pages = docs.get_text(session, document.id).split("\f")
            assert len(pages) == 5
            for word, page in zip(WORDS, pages, strict=True):
                assert word in page, pages
    # Per file: the text layers (no OCR), then ranges of at most two pages.
    for mime in ("image/tiff", "application/pdf"):
        ranges = [(p.first, p.last, p.ocr) for m, p in submitted if m == mime and p is not None]
        assert ranges == [(1, None, False), (1, 2, True), (3, 4, True), (5, 5, True)]


def test_a_range_that_cannot_be_read_quarantines_its_document(
    settings: Settings, tmp_path: Path
) -> None:
    settings.ocr.pages_per_task = 2
    settings.sandbox.max_image_pixels = 1_000_000
    root = tmp_path / "archive"
    (root / "files").mkdir(parents=True)
    frames = [hostile.make_text_image(word).convert("1") for word in WORDS]
    frames[3] = Image.new("1", (1500, 1500), 1)  # frame 4 is over the pixel limit
    archive = _archive(root, {"T1": _fax_tiff(root / "files" / "bundle.tif", frames)})
    summary = _load(settings, archive)
    rows = _rows(settings, str(summary["batch"]), tmp_path / "rows.csv")
    [row] = rows.values()
    assert (row["state"], row["reason"]) == ("quarantined", "too_large")
    with session_factory(settings.database_url)() as session:
        document = session.scalars(select(Document)).one()
        assert document.detail.startswith("pages 3-4: "), document.detail


def test_a_child_killed_mid_page_leaves_no_scratch_files(
    settings: Settings, tmp_path: Path
) -> None:
    # A child killed on its time limit while Tesseract reads a page has left that page's image
    # in its scratch folder: the load's own scratch folder goes when the load ends.
    # 16 pages go in ranges of four (two a child): each takes seconds, four times the limit.
    settings.sandbox.timeout_s = 0.5
    root = tmp_path / "archive"
    (root / "files").mkdir(parents=True)
    frames = [_dense_page(n) for n in range(16)]
    archive = _archive(root, {"T1": _fax_tiff(root / "files" / "slow.tif", frames)})
    summary = _load(settings, archive)
    rows = _rows(settings, str(summary["batch"]), tmp_path / "rows.csv")
    [row] = rows.values()
    assert (row["state"], row["reason"]) == ("quarantined", "timeout")
    assert [p for p in settings.tmp_dir.rglob("*") if p.is_file()] == []
