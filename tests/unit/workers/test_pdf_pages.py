"""PDF extraction by page range through SandboxPool: text layers only (the pages without one
listed for OCR), and OCR of a range of pages (docs/decisions/0010)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

from tests.factories import hostile
from workers.extract.base import TEXT_LAYERS, Limits, PageRange, PageText, split_pages
from workers.sandbox import SandboxPool

LIMITS = Limits(timeout_s=60, memory_mb=1024)
PDF = "application/pdf"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxPool]:
    with SandboxPool(1, LIMITS, tmp_path_factory.mktemp("sandbox")) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages: a text layer, an image of a word only (a scan), a text layer."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    pdf.add_page()
    pdf.multi_cell(0, 10, text="Core assessment first page")
    pdf.add_page()
    pdf.image(hostile.make_text_image("Safeguarding"), x=10, y=10, w=180)
    pdf.add_page()
    pdf.multi_cell(0, 10, text="Care plan third page")
    path = tmp_path_factory.mktemp("pdf") / "mixed.pdf"
    path.write_bytes(bytes(pdf.output()))
    return path


def test_range_of_one_scanned_page_is_ocred_alone(pool: SandboxPool, mixed_pdf: Path) -> None:
    result = pool.submit(str(mixed_pdf), PDF, PageRange(2, 2)).result(timeout=90)
    assert result.ok, result.detail
    assert (result.pages, result.ocr_pages, result.engine) == (3, 1, "pdfium+tesseract")
    [page] = result.page_texts
    assert (page.page_no, page.ocr) == (2, True)
    assert page.text is not None and "Safeguarding" in page.text
    assert "assessment" not in result.text and "Care plan" not in result.text
    assert result.pending_ocr == []


def test_text_layers_only_lists_the_pages_to_ocr(pool: SandboxPool, mixed_pdf: Path) -> None:
    result = pool.submit(str(mixed_pdf), PDF, TEXT_LAYERS).result(timeout=90)
    assert result.ok and result.reason is None, result.detail
    assert (result.pages, result.ocr_pages, result.engine) == (3, 0, "pdfium")
    assert result.pending_ocr == [2]
    assert [(p.page_no, p.ocr) for p in result.page_texts] == [(1, False), (2, False), (3, False)]
    assert result.page_texts[1] == PageText(2, None)
    assert "Core assessment" in (result.page_texts[0].text or "")
    assert "Care plan" in (result.page_texts[2].text or "")


def test_a_range_reads_text_layers_and_ocrs_the_rest(pool: SandboxPool, mixed_pdf: Path) -> None:
    result = pool.submit(str(mixed_pdf), PDF, PageRange(2, 3)).result(timeout=90)
    assert result.ok, result.detail
    assert [(p.page_no, p.ocr) for p in result.page_texts] == [(2, True), (3, False)]
    assert result.text.split("\f")[1].startswith("Care plan third page")


def test_whole_document_unchanged_without_a_range(pool: SandboxPool, mixed_pdf: Path) -> None:
    result = pool.submit(str(mixed_pdf), PDF).result(timeout=90)
    assert result.ok, result.detail
    assert (result.pages, result.ocr_pages, result.engine) == (3, 1, "pdfium+tesseract")
    assert result.page_texts == [] and result.pending_ocr == []
    texts = result.text.split("\f")
    assert len(texts) == 3 and "Safeguarding" in texts[1]


def test_fully_scanned_pdf_is_not_called_textless_before_ocr(
    pool: SandboxPool, tmp_path: Path
) -> None:
    path = hostile.make_scanned_pdf(tmp_path / "scan.pdf", "Referral")
    result = pool.submit(str(path), PDF, TEXT_LAYERS).result(timeout=90)
    assert (result.ok, result.reason, result.pending_ocr) == (True, None, [1])


def test_a_range_past_the_last_page_is_refused(pool: SandboxPool, mixed_pdf: Path) -> None:
    result = pool.submit(str(mixed_pdf), PDF, PageRange(4, 5)).result(timeout=90)
    assert (result.ok, result.reason) == (False, "corrupt")


def test_images_ignore_the_range(pool: SandboxPool, tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    hostile.make_text_image("Referral").save(path)
    result = pool.submit(str(path), "image/png", TEXT_LAYERS).result(timeout=90)
    assert result.ok and result.engine == "tesseract" and "Referral" in result.text


@pytest.mark.parametrize(
    ("pages", "size", "ranges"),
    [
        ([1, 2, 3, 4, 5], 2, [(1, 2), (3, 4), (5, 5)]),
        ([3, 1, 2], 10, [(1, 3)]),
        ([2, 9, 10, 11, 12, 40], 10, [(2, 11), (12, 12), (40, 40)]),
        ([7], 1, [(7, 7)]),
        ([], 10, []),
    ],
)
def test_split_pages_spans_at_most_size_pages(
    pages: list[int], size: int, ranges: list[tuple[int, int]]
) -> None:
    assert split_pages(pages, size) == ranges
    assert all(last - first < size for first, last in ranges)
