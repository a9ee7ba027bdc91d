"""The release gate's OCR still reads a leaked third party (decision 0047): on pages laid out
the ways case files are, burned without their boxes, the gate finds every planted name,
postcode and phone number, page by page, with all the pages read by one Tesseract; burned
with the boxes, it finds none."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageStat

from tests.factories.gate_pages import planted_documents
from workers.extract import ocr_repair
from workers.extract.base import Limits
from workers.redact.base import RedactRequest
from workers.redact.burn import burn
from workers.redact.gate import check_pdf, read_pages
from workers.synth.scans import Scan, noisy

# One page a kind; each fails under a setting decision 0047 measured and refused: "table"
# under --psm 6, "wrapped" (terms broken over a line inside a column) under --psm 4, 6 or 11,
# "inverse" (white type on black) with tessedit_do_invert=0. (The faded second scan page and
# the dusty scans are left out: no setting of 0047 reads all of them; read cleaned too since
# decision 0049, the dusty ones are tested below.)
KINDS = ("small", "table", "two_column", "wrapped", "italic", "inverse", "faint", "scan")


@pytest.mark.parametrize("kind", KINDS)
def test_every_planted_term_is_found_on_an_unredacted_page(kind: str, tmp_path: Path) -> None:
    (document,) = planted_documents(tmp_path, kinds=(kind,), pages=1)
    out = tmp_path / "out.pdf"
    burn(RedactRequest(str(document.path), str(out), footer=True), Limits(timeout_s=120))
    verdict = check_pdf(out, (), ocr_pages=[0], page_terms={0: tuple(document.planted[0])})
    assert len(verdict.problems) == 6, verdict.problems
    assert all(problem.startswith("page 1 OCR") for problem in verdict.problems)


def test_one_tesseract_reads_each_page_for_its_own_terms(tmp_path: Path) -> None:
    (document,) = planted_documents(tmp_path, kinds=("case",), case_pages=3)
    out = tmp_path / "out.pdf"
    burn(RedactRequest(str(document.path), str(out), footer=True), Limits(timeout_s=120))
    page_terms = {page: tuple(terms) for page, terms in enumerate(document.planted)}
    verdict = check_pdf(out, (), ocr_pages=[0, 1, 2], page_terms=page_terms)
    assert verdict.ocr_pages == [0, 1, 2]
    for page, planted in enumerate(document.planted):
        mine = [p for p in verdict.problems if p.startswith(f"page {page + 1} OCR")]
        assert len(mine) == len(set(planted)), verdict.problems
    assert len(verdict.problems) == 18


@pytest.mark.parametrize("kind", ["table", "inverse", "scan"])
def test_a_page_with_its_boxes_passes(kind: str, tmp_path: Path) -> None:
    (document,) = planted_documents(tmp_path, kinds=(kind,), pages=1)
    out = tmp_path / "out.pdf"
    request = RedactRequest(str(document.path), str(out), terms=document.planted[0], footer=True)
    result = burn(request, Limits(timeout_s=120))
    assert result.ok and result.ocr_pages == [0], result.leaks


def test_an_unreadable_page_image_refuses_release() -> None:
    with pytest.raises((subprocess.CalledProcessError, OSError)):  # Tesseract's, Pillow's
        read_pages([b"\xff\xd8\xff not a jpeg"], "eng")


def test_the_gate_reads_a_dusty_scan_cleaned(tmp_path: Path) -> None:
    """Decision 0049: Tesseract reads nothing of a dusty scan as it is (0047); cleaned in
    place, the gate reads planted terms on the page burned without boxes."""
    (document,) = planted_documents(tmp_path, kinds=("dusty",), pages=1)
    plain = tmp_path / "plain.pdf"
    burn(RedactRequest(str(document.path), str(plain), footer=True), Limits(timeout_s=120))
    verdict = check_pdf(plain, (), ocr_pages=[0], page_terms={0: tuple(document.planted[0])})
    assert len(verdict.problems) >= 2, verdict.problems


def test_the_burn_boxes_terms_on_a_dusty_scan_where_its_words_are(tmp_path: Path) -> None:
    """Decision 0049: the burn-in reads a page without a text layer cleaned too, and the boxes
    of what it found there are on their words: the gate, reading the burned page as it is and
    cleaned, can no longer read any term the burn-in found."""
    (document,) = planted_documents(tmp_path, kinds=("dusty",), pages=1)
    boxed = tmp_path / "boxed.pdf"
    request = RedactRequest(str(document.path), str(boxed), terms=document.planted[0])
    result = burn(request, Limits(timeout_s=120))
    found = tuple({term for page, term in result.found if page == 0})
    assert len(found) >= 2, result.found
    assert not check_pdf(boxed, found, ocr_pages=[0]).problems


def test_cleaning_moves_no_pixel_and_leaves_a_clean_page_alone() -> None:
    typed = Image.new("L", (1654, 2339), 255)
    ImageDraw.Draw(typed).rectangle((700, 900, 799, 939), fill=0)  # a bar of ink
    assert ocr_repair.cleaned_in_place(typed) is None
    dusty = noisy(Scan("clean", typed, ""), random.Random(1)).image
    cleaned = ocr_repair.cleaned_in_place(dusty)
    assert cleaned is not None and cleaned.size == dusty.size
    assert ImageStat.Stat(cleaned.crop((704, 904, 796, 936))).mean[0] < 20  # ink stays
    for around in ((660, 900, 696, 939), (803, 900, 840, 939), (700, 860, 799, 896)):
        assert ImageStat.Stat(cleaned.crop(around)).mean[0] > 200  # paper stays


def test_the_burn_reads_a_grainy_scans_rendition_cleaned_too(tmp_path: Path) -> None:
    """A scan's rendition carries Tesseract's invisible reading of the page as it is, which on
    a grainy scan misses planted terms; the burn-in reads such a page cleaned as well (decision
    0049), boxes what that finds, and the boxed terms cannot be read afterwards."""
    import pypdfium2 as pdfium
    import pytesseract

    from domain.redaction import find_terms

    (document,) = planted_documents(tmp_path, kinds=("scan",), pages=2)
    source = pdfium.PdfDocument(str(document.path))
    added = 0
    for index in range(len(source)):
        page_image = tmp_path / f"page{index}.png"
        source[index].render(scale=300 / 72).to_pil().convert("L").save(page_image, dpi=(300, 300))
        rendition = tmp_path / f"rendition{index}.pdf"
        rendition.write_bytes(pytesseract.image_to_pdf_or_hocr(str(page_image), extension="pdf"))
        layer = pdfium.PdfDocument(str(rendition))[0].get_textpage().get_text_range()
        in_layer = {hit.term for hit in find_terms(layer, document.planted[index])}
        burned = tmp_path / f"burned{index}.pdf"
        request = RedactRequest(str(rendition), str(burned), terms=document.planted[index])
        result = burn(request, Limits(timeout_s=120))
        found = {term for _, term in result.found}
        assert in_layer <= found and result.ok, (in_layer, found, result.leaks)
        added += len(found - in_layer)
    source.close()
    assert added >= 1, "the cleaned reading found nothing the OCR layer lacked"
