"""PDF text layers with PDFium (workers.extract.pdf_text), and OCR of the pages that have
none (docs/decisions/0003)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits, PageRange, PageText, ocr_confidence
from workers.extract.failures import ExtractionFailed
from workers.extract.ocr import ocr_image
from workers.extract.ocr_passes import PageOcr
from workers.extract.pdf_extras import PdfExtras
from workers.extract.pdf_text import ERR_PASSWORD, layer_texts

# A page with fewer printable characters than this in its text layer is treated as a scan.
_MIN_LAYER_CHARS = 3


def extract_pdf(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Text of every page: the text layer where there is one, else OCR of the rendered page."""
    result = extract_pdf_pages(path, limits, tmp_dir, PageRange())
    result.page_texts = []  # the whole text is the answer; no need to send it twice
    return result


def extract_pdf_pages(
    path: Path, limits: Limits, tmp_dir: Path, pages: PageRange
) -> ExtractionResult:
    """Text of pages first..last, with each page's text in `page_texts`.

    A page without a text layer is OCRed, or with `pages.ocr` False left out (text None) and
    listed in `pending_ocr`, so the caller can OCR it later by page range. `pages` in the result
    is the document's page count, whatever the range.
    """
    # Form answers and embedded files are read with the whole document only (not with a range
    # of its pages, nor kept from a first pass that leaves pages for OCR: decision 0025).
    extras = PdfExtras(limits, tmp_dir) if pages.first == 1 and pages.last is None else None
    try:
        result = _read_pages(path, limits, tmp_dir, pages, extras)
    except BaseException:
        if extras is not None:  # nothing written for a file that failed stays behind
            extras.discard()
        raise
    if extras is not None and result.pending_ocr:
        extras.discard()
    elif extras is not None:
        extras.add_to(result)
    return result


def _read_pages(
    path: Path, limits: Limits, tmp_dir: Path, pages: PageRange, extras: PdfExtras | None
) -> ExtractionResult:
    count, layers = layer_texts(path, pages.first, pages.last, extras.read if extras else None)
    # A set: a scanned bundle has thousands of pages, and each is looked up below.
    scans = {number for number, text in layers.items() if len(text.strip()) < _MIN_LAYER_CHARS}
    ocred = _ocr_pages(path, sorted(scans), limits, tmp_dir) if pages.ocr and scans else {}
    read = [
        PageText(number, ocred[number].text, True, ocred[number].confidence)
        if number in ocred
        else PageText(number, None if number in scans else text)
        for number, text in layers.items()
    ]
    ocr_pages = len(ocred)
    return ExtractionResult(
        ok=True,
        text="\f".join(page.text or "" for page in read),
        pages=count,
        ocr_pages=ocr_pages,
        engine="pdfium+tesseract" if ocr_pages else "pdfium",
        page_texts=read,
        pending_ocr=[page.page_no for page in read if page.text is None],
        ocr_confidence=ocr_confidence(read),
    )


def _ocr_pages(path: Path, numbers: list[int], limits: Limits, tmp_dir: Path) -> dict[int, PageOcr]:
    """OCR text of the pages (1-based) that have no text layer, rendered by PDFium."""
    document = _open(path)
    try:
        texts = {}
        for number in numbers:
            page = document[number - 1]
            try:
                texts[number] = _ocr_page(page, limits, tmp_dir)
            finally:
                page.close()
        return texts
    finally:
        document.close()


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        # password=None makes PDFium try the empty user password, which opens the many PDFs
        # that are "encrypted" only to restrict printing or copying.
        return pdfium.PdfDocument(str(path), password=None)
    except pdfium.PdfiumError as exc:
        if exc.err_code == ERR_PASSWORD:
            raise ExtractionFailed(Reason.ENCRYPTED, "needs a password") from exc
        raise ExtractionFailed(Reason.CORRUPT, str(exc)[:200]) from exc


def _ocr_page(page: pdfium.PdfPage, limits: Limits, tmp_dir: Path) -> PageOcr:
    width, height = page.get_size()  # in points, 1/72 inch
    scale = limits.ocr_dpi / 72
    pixels = width * scale * height * scale
    if pixels > limits.max_image_pixels:
        # An oversized page (a plan, a poster) is rendered at the resolution the limit allows
        # rather than refused: its text is still wanted.
        scale *= (limits.max_image_pixels / pixels) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return ocr_image(bitmap.to_pil(), limits, tmp_dir, dpi=round(72 * scale))
    finally:
        bitmap.close()
