"""PDF text layers with PDFium, and OCR of the pages that have none (docs/decisions/0003)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits, PageRange, PageText
from workers.extract.failures import ExtractionFailed
from workers.extract.ocr import ocr_image

# PDFium's FPDF_ERR_PASSWORD: the empty user password (tried on open) did not unlock the file.
_ERR_PASSWORD = 4
# A page with fewer printable characters than this in its text layer is treated as a scan.
_MIN_LAYER_CHARS = 3
_BROKEN_WORD = "\ufffe"
_READ_WHOLE_MAX_BYTES = 8 * 2**20


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
    document = _open(path)
    try:
        count = len(document)
        first, last = pages.first, count if pages.last is None else min(pages.last, count)
        if count and not 1 <= first <= last:
            raise ExtractionFailed(Reason.CORRUPT, f"no pages {first}-{last} in {count} pages")
        read: list[PageText] = []
        for number in range(first, last + 1):
            page = document[number - 1]
            try:
                read.append(_page_text(page, number, pages.ocr, limits, tmp_dir))
            finally:
                page.close()
    finally:
        document.close()
    ocr_pages = sum(1 for page in read if page.ocr)
    return ExtractionResult(
        ok=True,
        text="\f".join(page.text or "" for page in read),
        pages=count,
        ocr_pages=ocr_pages,
        engine="pdfium+tesseract" if ocr_pages else "pdfium",
        page_texts=read,
        pending_ocr=[page.page_no for page in read if page.text is None],
    )


def _page_text(
    page: pdfium.PdfPage, number: int, ocr: bool, limits: Limits, tmp_dir: Path
) -> PageText:
    """The page's text layer, else its OCR text (or, when `ocr` is False, text None)."""
    text = _layer_text(page)
    if len(text.strip()) >= _MIN_LAYER_CHARS:
        return PageText(number, text)
    if not ocr:
        return PageText(number, None)
    return PageText(number, _ocr_page(page, limits, tmp_dir), ocr=True)


def _open(path: Path) -> pdfium.PdfDocument:
    # A letter-sized file is read into memory and handed over whole: 5% less time a document
    # than PDFium reading it by path (pypdfium2 resolves the path first). A big one stays on
    # disk, read as PDFium needs it, so the child's memory limit is not spent on the file.
    source: str | bytes = str(path)
    if path.stat().st_size <= _READ_WHOLE_MAX_BYTES:
        source = path.read_bytes()
    try:
        # password=None makes PDFium try the empty user password, which opens the many PDFs
        # that are "encrypted" only to restrict printing or copying.
        return pdfium.PdfDocument(source, password=None)
    except pdfium.PdfiumError as exc:
        if exc.err_code == _ERR_PASSWORD:
            raise ExtractionFailed(Reason.ENCRYPTED, "needs a password") from exc
        raise ExtractionFailed(Reason.CORRUPT, str(exc)[:200]) from exc


def _layer_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        # The whole page's text by character range, as the bench's raw baseline reads it:
        # get_text_bounded (the page's box) gave the same text 11% slower (docs/decisions/0003).
        # PDFium marks a word broken by a hyphen at a line's end with U+FFFE: a hyphen it was.
        return str(textpage.get_text_range()).replace(_BROKEN_WORD, "-")
    finally:
        textpage.close()


def _ocr_page(page: pdfium.PdfPage, limits: Limits, tmp_dir: Path) -> str:
    width, height = page.get_size()  # in points, 1/72 inch
    scale = limits.ocr_dpi / 72
    pixels = width * scale * height * scale
    if pixels > limits.max_image_pixels:
        # An oversized page (a plan, a poster) is rendered at the resolution the limit allows
        # rather than refused: its text is still wanted.
        scale *= (limits.max_image_pixels / pixels) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return ocr_image(bitmap.to_pil(), limits, tmp_dir)
    finally:
        bitmap.close()
