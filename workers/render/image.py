"""An image scan's rendition (JPEG, PNG, TIFF of any number of pages, and other images Pillow
reads): a PDF of its pages with an invisible OCR text layer, made by Tesseract's own PDF
renderer (as OCRmyPDF's hOCR-free mode does): the page image as it is, the recognised words
laid over it where they are, so they can be found, selected and highlighted.

The page images are the scan's own pixels, never OCR repair's binarised copy
(workers/extract/ocr_repair.py): a rendition is what a person reads as the record, and
binarising loses faint handwriting, stamps and colour (docs/decisions/0027). A file Tesseract
reads itself goes to it whole, one Tesseract for every page, as `tesseract scan.tif out pdf`
would be run by hand; other images are decoded by Pillow and rendered frame by frame."""

from __future__ import annotations

import io
import operator
import os
import tempfile
from pathlib import Path

import pytesseract
from PIL import Image, ImageSequence

from core.states import Reason
from workers.extract.base import Limits
from workers.extract.failures import check_pixels
from workers.extract.ocr import page_frames, tesseract_reads_file
from workers.extract.ocr_repair import grey
from workers.render.base import RenderFailed, RenderRequest, RenderResult

# Seconds a page may take, on top of the job's base limit, when a whole file goes at once.
_PAGE_SECONDS = 30.0


def render_image(request: RenderRequest, limits: Limits) -> RenderResult:
    with Image.open(request.path) as image:
        frames = len(page_frames(image))
        for frame in ImageSequence.Iterator(image):
            # Headers only: a TIFF's later frames may be larger than the first.
            check_pixels(frame.width, frame.height, limits.max_image_pixels)
        scratch = Path(request.scratch or tempfile.gettempdir())
        pdf = b""
        if tesseract_reads_file(image):  # as in extraction: one rule for both
            try:
                pdf = _tesseract_pdf(request.path, limits, _dpi(image), frames)
            except RenderFailed as exc:
                # Leptonica failed on a file Pillow decodes (a JPEG it finds truncated):
                # render what Pillow decoded.
                if exc.reason != Reason.CORRUPT.value:
                    raise
        if not pdf:
            pdf = _frames_pdf(image, limits, scratch)
    Path(request.out_path).write_bytes(pdf)
    return RenderResult(ok=True, pages=_page_count(pdf), method="ocr")


# A Pillow image's header values. By name, not `image.info`: tests/unit/test_architecture.py
# refuses a bare `.info`, which is how a SQLAlchemy session's hidden state would read.
_stated = operator.attrgetter("info")


def _dpi(image: Image.Image) -> int | None:
    """The scan's resolution where the file states a plausible one (Tesseract sizes pages by
    it; without one it guesses 70 dpi and an A4 scan becomes a poster)."""
    found = _stated(image).get("dpi")
    try:
        value = round(float(found[0])) if found else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 50 <= value <= 1200 else None


def _tesseract_pdf(source: str, limits: Limits, dpi: int | None, pages: int) -> bytes:
    config = "" if dpi else f"--dpi {limits.ocr_dpi}"
    try:
        pdf: bytes = pytesseract.image_to_pdf_or_hocr(
            source,
            lang=limits.ocr_language,
            extension="pdf",
            config=config,
            timeout=limits.ocr_page_timeout_s + _PAGE_SECONDS * max(0, pages - 1),
        )
    except RuntimeError as exc:
        # pytesseract kills Tesseract and raises a bare RuntimeError when the timeout passes.
        if "timeout" in str(exc).lower():
            raise RenderFailed(Reason.TIMEOUT.value, "OCR timeout") from exc
        raise
    except pytesseract.TesseractError as exc:
        if "alloc" in str(exc).lower():
            raise RenderFailed(Reason.MEMORY_LIMIT.value, "tesseract out of memory") from exc
        raise RenderFailed(Reason.CORRUPT.value, f"tesseract failed ({exc.status})") from exc
    return pdf


def _frames_pdf(image: Image.Image, limits: Limits, scratch: Path) -> bytes:
    """Each frame OCRed to a one-page PDF on its own, then put together in order."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    dpi = _dpi(image)
    for index in page_frames(image):  # not a TIFF's reduced-resolution copies
        image.seek(index)
        frame = image
        if frame.mode in ("I", "F") or frame.mode.startswith("I;16"):
            page = grey(frame)  # wide samples stretched, not clipped white
        else:
            page = frame.convert("RGB") if frame.mode not in ("L", "RGB", "1") else frame.copy()
        handle, name = tempfile.mkstemp(suffix=".png", dir=scratch)
        try:
            with os.fdopen(handle, "wb") as out:
                page.save(out, format="PNG", dpi=(dpi, dpi) if dpi else None)
            writer.append(io.BytesIO(_tesseract_pdf(name, limits, dpi, 1)))
        finally:
            os.unlink(name)
    merged = io.BytesIO()
    writer.write(merged)
    return merged.getvalue()


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
