"""OCR with Tesseract, and the extractor for image files (JPEG, PNG, TIFF incl. multi-page)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytesseract
from PIL import Image, ImageSequence

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits
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
    # Image.open reads the header only; the pixel limit is checked before any decoding.
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)
        if frames == 1 and image.format in _DIRECT_FORMATS:
            check_pixels(image.width, image.height, limits.max_image_pixels)
            texts = [ocr_file(str(path), limits)]
        else:
            texts = []
            for frame in ImageSequence.Iterator(image):
                # Image.open checks only the first frame; a TIFF's later frames may be larger.
                check_pixels(frame.width, frame.height, limits.max_image_pixels)
                texts.append(ocr_image(frame, limits, tmp_dir))
    return ExtractionResult(
        ok=True,
        text="\f".join(text.strip() for text in texts),
        pages=frames,
        ocr_pages=frames,
        engine="tesseract",
    )
