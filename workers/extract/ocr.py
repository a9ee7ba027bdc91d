"""OCR with Tesseract, and the extractor for image files (JPEG, PNG, TIFF incl. multi-page).

Each page is read once, and repaired and read again only where that first pass was poor
(workers/extract/ocr_passes.py, docs/decisions/0026)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits, PageRange, PageText, ocr_confidence
from workers.extract.failures import ExtractionFailed, check_pixels
from workers.extract.ocr_passes import PageOcr, read_page

# HEIC/HEIF (phones' photos of letters and rooms; filetype's sample.heic ended corrupt) and
# AVIF decoded by libheif, for OCR and renditions alike (workers/render/image.py imports this).
pillow_heif.register_heif_opener()

# Formats Tesseract (leptonica) reads straight from the file, so a single-frame image needs no
# re-encoding in Python.
_DIRECT_FORMATS = {"PNG", "JPEG", "TIFF"}
# Pillow modes of samples Leptonica decodes (a 12-bit scan opens as I;16 and is not one).
# (Not CMYK, nor a palette with alpha: Tesseract fails or crashes on them in Pillow's tests.)
_LEPTONICA_MODES = {"1", "L", "P", "RGB", "RGBA"}
_PLANAR_CONFIGURATION = 284  # TIFF tag: 1 chunky (pixels' samples together), 2 planar
# TIFF tag NewSubfileType: bit 0 marks a reduced-resolution copy of another page (a thumbnail
# or preview some scanning software stores after the page), which is not a page of its own.
_NEW_SUBFILE_TYPE, _REDUCED_COPY = 254, 1


def ocr_image(image: Image.Image, limits: Limits, tmp_dir: Path, dpi: int | None = None) -> PageOcr:
    """OCR a decoded page image (repaired and read again where the first pass was poor)."""
    check_pixels(image.width, image.height, limits.max_image_pixels)
    return read_page(image, limits, tmp_dir, dpi)


def _frame(image: Image.Image, limits: Limits, tmp_dir: Path, path: Path | None) -> PageOcr:
    """OCR the current frame of an opened image file; Tesseract reads a single-frame PNG, JPEG
    or TIFF from `path` itself. A fax's oblong pixels (204 x 98 dpi) are left as they are:
    made square, the page read no better (docs/decisions/0026)."""
    check_pixels(image.width, image.height, limits.max_image_pixels)
    # Pillow's file metadata (getattr: a bare `.info` is what the architecture test takes
    # for a session's hidden state).
    metadata: dict[str, Any] = getattr(image, "info", {})
    x_dpi, y_dpi = (round(float(v)) for v in metadata.get("dpi", (0, 0)))
    direct = str(path) if path is not None and tesseract_reads_file(image) else None
    dpi = x_dpi if x_dpi == y_dpi and x_dpi > 0 else None
    return read_page(image, limits, tmp_dir, dpi, direct)


def tesseract_reads_file(image: Image.Image) -> bool:
    """Whether Tesseract may be handed the image's file itself (its pages in Leptonica's
    decoding) rather than what Pillow decoded. Not where Leptonica reads nothing and exits 0
    (12-bit, 32-bit, float or signed samples, planar TIFFs), nor where a TIFF's page chain
    does not end after the pages Pillow counted: Leptonica follows a chain that loops back
    (Pillow's test suite has one) without end, while Pillow notices the loop."""
    if image.format not in _DIRECT_FORMATS or image.mode not in _LEPTONICA_MODES:
        return False
    if image.format != "TIFF":
        return True
    if len(page_frames(image)) != getattr(image, "n_frames", 1):
        return False  # Tesseract would read the reduced-resolution copies as pages
    tags: Any = getattr(image, "tag_v2", None)  # Pillow's TIFF directory of the frame
    if tags is None or tags.get(_PLANAR_CONFIGURATION, 1) != 1:
        return False
    here = image.tell()
    image.seek(getattr(image, "n_frames", 1) - 1)
    ends = image.tag_v2.next == 0  # type: ignore[attr-defined]
    image.seek(here)
    return bool(ends)


def page_frames(image: Image.Image) -> list[int]:
    """The indexes of an image file's frames that are pages: all but a TIFF's reduced-
    resolution copies (filetype's sample.tif holds an A0 drawing and its quarter-size copy)."""
    count = getattr(image, "n_frames", 1)
    if image.format != "TIFF" or count == 1:
        return list(range(count))
    here, pages = image.tell(), []
    for index in range(count):
        image.seek(index)
        tags: Any = getattr(image, "tag_v2", {})
        if not int(tags.get(_NEW_SUBFILE_TYPE, 0)) & _REDUCED_COPY:
            pages.append(index)
    image.seek(here)
    return pages or [0]


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
        indexes = page_frames(image)
        frames = len(indexes)
        first, last = pages.first, frames if pages.last is None else min(pages.last, frames)
        if not 1 <= first <= last:
            raise ExtractionFailed(Reason.CORRUPT, f"no frames {first}-{last} in {frames}")
        read: list[PageText] = []
        if not pages.ocr and frames > 1:
            read = [PageText(number, None) for number in range(first, last + 1)]
        else:
            for number in range(first, last + 1):
                image.seek(indexes[number - 1])
                # Image.open checks only the first frame; a TIFF's later frames may be larger.
                alone = getattr(image, "n_frames", 1) == 1  # else Tesseract reads them all
                page = _frame(image, limits, tmp_dir, path if alone else None)
                read.append(PageText(number, page.text.strip(), True, page.confidence))
    return ExtractionResult(
        ok=True,
        text="\f".join(page.text or "" for page in read),
        pages=frames,
        ocr_pages=sum(1 for page in read if page.ocr),
        engine="tesseract",
        page_texts=read,
        pending_ocr=[page.page_no for page in read if page.text is None],
        ocr_confidence=ocr_confidence(read),
    )
