"""PDF text layers with PDFium, and OCR of the pages that have none (docs/decisions/0003)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.ocr import ocr_image

# PDFium's FPDF_ERR_PASSWORD: the empty user password (tried on open) did not unlock the file.
_ERR_PASSWORD = 4
# A page with fewer printable characters than this in its text layer is treated as a scan.
_MIN_LAYER_CHARS = 3


def extract_pdf(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Text of every page: the text layer where there is one, else OCR of the rendered page."""
    document = _open(path)
    try:
        texts: list[str] = []
        ocr_pages = 0
        for index in range(len(document)):
            page = document[index]
            try:
                text = _layer_text(page)
                if len(text.strip()) < _MIN_LAYER_CHARS:
                    text = _ocr_page(page, limits, tmp_dir)
                    ocr_pages += 1
            finally:
                page.close()
            texts.append(text)
        pages = len(document)
    finally:
        document.close()
    return ExtractionResult(
        ok=True,
        text="\f".join(texts),
        pages=pages,
        ocr_pages=ocr_pages,
        engine="pdfium+tesseract" if ocr_pages else "pdfium",
    )


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        # password=None makes PDFium try the empty user password, which opens the many PDFs
        # that are "encrypted" only to restrict printing or copying.
        return pdfium.PdfDocument(str(path), password=None)
    except pdfium.PdfiumError as exc:
        if exc.err_code == _ERR_PASSWORD:
            raise ExtractionFailed(Reason.ENCRYPTED, "needs a password") from exc
        raise ExtractionFailed(Reason.CORRUPT, str(exc)[:200]) from exc


def _layer_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_bounded())
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
