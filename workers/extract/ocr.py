"""OCR with Tesseract, and the extractor for image files (JPEG, PNG, TIFF incl. multi-page)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytesseract
from PIL import Image

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits, PageRange, PageText
from workers.extract.failures import ExtractionFailed, check_pixels

# Formats Tesseract (leptonica) reads straight from the file, so a single-frame image needs no
# re-encoding in Python.
_DIRECT_FORMATS = {"PNG", "JPEG", "TIFF"}


def ocr_file(path: str, limits: Limits) -> str:
    """Text Tesseract reads from the image file at `path`, under the per-page time limit."""
    try:
        text: str = pytesseract.image_to_string(
            path, lang=limits.ocr_language, timeout=limits.ocr_page_timeout_s
        )
    except RuntimeError as exc:
        # pytesseract kills Tesseract and raises a bare RuntimeError when the timeout passes.
        if "timeout" in str(exc).lower():
            raise ExtractionFailed(Reason.TIMEOUT, "OCR page timeout") from exc
        raise
    except pytesseract.TesseractError as exc:
        if "alloc" in str(exc).lower():
            raise ExtractionFailed(Reason.MEMORY_LIMIT, "tesseract out of memory") from exc
        raise ExtractionFailed(Reason.CORRUPT, f"tesseract failed ({exc.status})") from exc
    return text


def ocr_image(image: Image.Image, limits: Limits, tmp_dir: Path) -> str:
    """OCR a decoded image. It is written as uncompressed PGM: cheaper than PNG to encode."""
    check_pixels(image.width, image.height, limits.max_image_pixels)
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
    suffix = ".pgm" if image.mode == "L" else ".ppm"
    handle, name = tempfile.mkstemp(suffix=suffix, dir=tmp_dir)
    try:
        with os.fdopen(handle, "wb") as out:
            image.save(out, format="PPM")
        return ocr_file(name, limits)
    finally:
        os.unlink(name)


def extract_image(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """OCR every frame of an image file."""
    result = extract_image_frames(path, limits, tmp_dir, PageRange())
    result.page_texts = []  # the whole text is the answer, as extract_pdf gives it
    return result


def extract_image_frames(
    path: Path, limits: Limits, tmp_dir: Path, pages: PageRange
) -> ExtractionResult:
    """OCR frames first..last (a multi-page TIFF's pages), as extract_pdf_pages reads a PDF's:
    with `pages.ocr` False none is read, and all are listed in `pending_ocr`, so a long scan can
    be OCRed by page range, each range under its own time limit (docs/decisions/0014). An image
    of one frame is OCRed even then: a range of one would only add a round trip."""
    # Image.open reads the header only; the pixel limit is checked before any decoding.
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)
        first, last = pages.first, frames if pages.last is None else min(pages.last, frames)
        if not 1 <= first <= last:
            raise ExtractionFailed(Reason.CORRUPT, f"no frames {first}-{last} in {frames}")
        read: list[PageText] = []
        if not pages.ocr and frames > 1:
            read = [PageText(number, None) for number in range(first, last + 1)]
        elif frames == 1 and image.format in _DIRECT_FORMATS:
            check_pixels(image.width, image.height, limits.max_image_pixels)
            read = [PageText(1, ocr_file(str(path), limits).strip(), ocr=True)]
        else:
            for number in range(first, last + 1):
                image.seek(number - 1)
                # Image.open checks only the first frame; a TIFF's later frames may be larger.
                check_pixels(image.width, image.height, limits.max_image_pixels)
                read.append(PageText(number, ocr_image(image, limits, tmp_dir).strip(), ocr=True))
    return ExtractionResult(
        ok=True,
        text="\f".join(page.text or "" for page in read),
        pages=frames,
        ocr_pages=sum(1 for page in read if page.ocr),
        engine="tesseract",
        page_texts=read,
        pending_ocr=[page.page_no for page in read if page.text is None],
    )
