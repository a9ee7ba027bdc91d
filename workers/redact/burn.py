"""Burn redactions into a document's rendition: every page rasterised by PDFium, the boxes drawn
into its pixels, and a fresh image-only PDF written (docs/decisions/0034). Runs in a sandbox
child: the rendition may be the original, untrusted PDF.

Every page is rebuilt, not only the redacted ones: a page kept as it was keeps whatever it
hides (an invisible OCR layer, text under a white box or outside the crop box, a hidden
optional-content layer, form values, annotations), none of which the reviewer saw. What is
released is what the reviewer saw: the page as PDFium draws it, annotations and filled form
fields included, less the boxes.

Where a term is found: PDFium's text of the page (the text layer, and a scan rendition's
invisible OCR layer) through domain.redaction's matcher, each hit's characters' boxes merged
line by line; the text of annotations and form fields drawn on the page (their whole
rectangle is blacked out); and, on a page with no text at all, Tesseract's words (of the page
as drawn, and of a grainy scan cleaned too: decision 0049).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops, ImageDraw

from domain.redaction import find_terms
from workers.extract import ocr_repair
from workers.extract.base import Limits
from workers.redact.base import Box, RedactRequest, RedactResult
from workers.redact.gate import check_pdf
from workers.redact.image_pdf import PageImage, write_image_pdf

# Points added around a found term's box: a glyph's ink can pass its box (italics, accents).
PAD_PT = 1.5
# The footer strip added under each page for its number, so the stamp never covers content.
FOOTER_PT = 18.0
Rect = tuple[float, float, float, float]  # left, bottom, right, top in points (or px: l, t, r, b)


def burn(request: RedactRequest, limits: Limits) -> RedactResult:
    """Burn, write and gate one PDF; the result says what was drawn and what the gate found."""
    started = time.monotonic()
    document = pdfium.PdfDocument(request.path, password=None)
    try:
        # Forms drawn with their values: what a reader of the PDF sees is what is burned.
        document.init_forms()
        annotations = _annotation_texts(request.path) if request.terms else {}
        images: list[PageImage] = []
        result = RedactResult(ok=False)
        gated: set[int] = set()
        for index in range(len(document)):
            page = document[index]
            rendered = time.monotonic()
            image, scale = _rasterise(page, request.dpi, limits)
            result.render_seconds += time.monotonic() - rendered
            rects = [_box_pixels(page, b, image) for b in request.boxes if b.page == index]
            found = _found_on_page(page, request, annotations.get(index, []), image, scale)
            for term, pixel_rect in found:
                rects.append(pixel_rect)
                if (index, term) not in result.found:
                    result.found.append((index, term))
            if not _has_text(page) and request.terms:
                gated.add(index)  # Tesseract read these pixels while looking for the terms
            _black_out(image, rects)
            result.drawn.extend(_as_boxes(page, index, rects, image))
            images.append(_page_image(page, image, request))
            page.close()
        write_image_pdf(images, Path(request.out_path))
        result.pages = len(images)
    finally:
        document.close()
    redacted = {box.page for box in result.drawn}
    gate_started = time.monotonic()
    verdict = check_pdf(
        Path(request.out_path),
        request.terms,
        ocr_pages=redacted,
        language=request.ocr_language,
    )
    result.gate_seconds = time.monotonic() - gate_started
    result.image_sha256 = verdict.image_sha256
    result.ocr_pages = sorted(redacted | gated)
    result.leaks = verdict.problems
    result.ok = not verdict.problems
    if verdict.problems:
        result.reason = "redaction_leak"
        result.detail = "; ".join(verdict.problems)[:500]
    result.seconds = time.monotonic() - started
    return result


def _rasterise(page: pdfium.PdfPage, dpi: int, limits: Limits) -> tuple[Image.Image, float]:
    """The page drawn as PDFium shows it (annotations and forms included), in RGB."""
    width, height = page.get_size()
    scale = dpi / 72.0
    pixels = width * height * scale * scale
    if pixels > limits.max_image_pixels:  # a poster-sized page is drawn smaller, not refused
        scale *= (limits.max_image_pixels / pixels) ** 0.5
    # RGB byte order straight from PDFium: to_pil() then copies once, with no BGR swizzle and
    # no second conversion (49 -> 14 ms an A4 page at 200 dpi).
    bitmap = page.render(scale=scale, may_draw_forms=True, draw_annots=True, rev_byteorder=True)
    image = bitmap.to_pil()
    bitmap.close()
    return (image if image.mode == "RGB" else image.convert("RGB")), scale


def _has_text(page: pdfium.PdfPage) -> bool:
    textpage = page.get_textpage()
    try:
        return bool(textpage.get_text_range().strip())
    finally:
        textpage.close()


def _found_on_page(
    page: pdfium.PdfPage,
    request: RedactRequest,
    annotations: list[tuple[str, Rect]],
    image: Image.Image,
    scale: float,
) -> list[tuple[str, Rect]]:
    """Each term's places on the page, as pixel rectangles (left, top, right, bottom)."""
    if not request.terms:
        return []
    found: list[tuple[str, Rect]] = []
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        for hit in find_terms(text, request.terms):
            for rect in _line_rects(textpage, hit.start, hit.end):
                found.append((hit.term, _to_pixels(page, rect, image)))
    finally:
        textpage.close()
    for text, rect in annotations:
        for term in {hit.term for hit in find_terms(text, request.terms)}:
            found.append((term, _to_pixels(page, rect, image)))
    if not text.strip():
        found.extend(_hits_read(image, request))
        found.extend(_cleaned_hits(image, request))
    elif _read_by_ocr(page):
        # A scan's rendition: its invisible words are Tesseract's reading of the page as it
        # is, which on a grainy scan misses words the cleaned page gives (decision 0049).
        found.extend(_cleaned_hits(image, request))
    return found


def _read_by_ocr(page: pdfium.PdfPage) -> bool:
    """Whether all the page's text is invisible, as an OCR layer over a scan is (Tesseract's
    and OCRmyPDF's PDFs draw their words in render mode 3): the page is then read from its
    pixels, not from a text layer drawn as it shows."""
    modes = {
        pdfium_c.FPDFTextObj_GetTextRenderMode(text.raw)
        for text in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=2)
    }
    return modes == {pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE}


def _line_rects(textpage: pdfium.PdfTextPage, start: int, end: int) -> list[Rect]:
    """The characters start..end as one rectangle a line (a name can break across lines)."""
    rects: list[list[float]] = []
    for index in range(start, end):
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        if right - left <= 0 or top - bottom <= 0:
            continue  # a generated space or line break: nothing drawn there
        current = rects[-1] if rects else None
        same_line = (
            current is not None
            and bottom < current[3]
            and top > current[1]
            and left >= current[0] - 2
        )
        if current is not None and same_line:
            current[0], current[1] = min(current[0], left), min(current[1], bottom)
            current[2], current[3] = max(current[2], right), max(current[3], top)
        else:
            rects.append([left, bottom, right, top])
    return [(r[0] - PAD_PT, r[1] - PAD_PT, r[2] + PAD_PT, r[3] + PAD_PT) for r in rects]


def _to_pixels(page: pdfium.PdfPage, rect: Rect, image: Image.Image) -> Rect:
    """A rectangle in page points as pixels on the page's image (rotation and crop box
    handled by PDFium's own page-to-device mapping)."""
    corners = []
    for x, y in ((rect[0], rect[1]), (rect[2], rect[3]), (rect[0], rect[3]), (rect[2], rect[1])):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(
            page.raw, 0, 0, image.width, image.height, 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
        )
        corners.append((dx.value, dy.value))
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def _box_pixels(page: pdfium.PdfPage, box: Box, image: Image.Image) -> Rect:
    """A reviewer's box (points from the top left of the page as shown) as pixels."""
    width, height = page.get_size()
    sx, sy = image.width / width, image.height / height
    return (box.x0 * sx, box.y0 * sy, box.x1 * sx, box.y1 * sy)


def _as_boxes(page: pdfium.PdfPage, index: int, rects: list[Rect], image: Image.Image) -> list[Box]:
    """Pixel rectangles back in points from the page's top left, for the log and the viewer."""
    width, height = page.get_size()
    sx, sy = width / image.width, height / image.height
    return [Box(index, r[0] * sx, r[1] * sy, r[2] * sx, r[3] * sy) for r in rects]


def _black_out(image: Image.Image, rects: list[Rect]) -> None:
    draw = ImageDraw.Draw(image)
    for left, top, right, bottom in rects:
        draw.rectangle((left, top, right, bottom), fill=(0, 0, 0))


def _cleaned_hits(image: Image.Image, request: RedactRequest) -> list[tuple[str, Rect]]:
    """A grainy or speckled scan read again cleaned (ocr_repair.cleaned_in_place), where
    Tesseract may read nothing of the page as it is; no pixel moves, so its hits are boxed
    on the page as drawn (decision 0049). Nothing for a page without grain."""
    cleaned = ocr_repair.cleaned_in_place(image)
    return _hits_read(cleaned, request) if cleaned is not None else []


def _hits_read(image: Image.Image, request: RedactRequest) -> list[tuple[str, Rect]]:
    """The page's words as Tesseract reads them, searched for the terms."""
    import pytesseract

    data: dict[str, list[Any]] = pytesseract.image_to_data(
        image, lang=request.ocr_language, output_type=pytesseract.Output.DICT
    )
    words = _ocr_words(data)
    text, owners = "", []
    for number, word in enumerate(words):
        separator = "\n" if number and words[number - 1].line != word.line else " "
        text += separator
        owners.append(-1)
        text += word.text
        owners.extend([number] * len(word.text))
    found: list[tuple[str, Rect]] = []
    for hit in find_terms(text, request.terms):
        hit_words = sorted({owners[i] for i in range(hit.start, hit.end) if owners[i] >= 0})
        by_line: dict[tuple[int, int, int], list[_Word]] = {}
        for number in hit_words:
            by_line.setdefault(words[number].line, []).append(words[number])
        for line in by_line.values():
            pad = request.dpi * PAD_PT / 72
            found.append(
                (
                    hit.term,
                    (
                        min(w.left for w in line) - pad,
                        min(w.top for w in line) - pad,
                        max(w.left + w.width for w in line) + pad,
                        max(w.top + w.height for w in line) + pad,
                    ),
                )
            )
    return found


@dataclass(frozen=True)
class _Word:
    text: str
    line: tuple[int, int, int]
    left: int
    top: int
    width: int
    height: int


def _ocr_words(data: dict[str, list[Any]]) -> list[_Word]:
    return [
        _Word(
            text=str(data["text"][i]),
            line=(data["block_num"][i], data["par_num"][i], data["line_num"][i]),
            left=int(data["left"][i]),
            top=int(data["top"][i]),
            width=int(data["width"][i]),
            height=int(data["height"][i]),
        )
        for i in range(len(data["text"]))
        if str(data["text"][i]).strip()
    ]


def _annotation_texts(path: str) -> dict[int, list[tuple[str, Rect]]]:
    """Each page's annotations and form fields that carry text: their strings (contents, rich
    text, field values and names, the appearance stream's bytes) and their rectangle."""
    from pypdf import PdfReader

    found: dict[int, list[tuple[str, Rect]]] = {}
    reader = PdfReader(path, strict=False)
    for index, page in enumerate(reader.pages):
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            rect = annotation.get("/Rect")
            if rect is None or len(rect) != 4:
                continue
            strings = _strings_of(annotation)
            if strings:
                left, bottom, right, top = (float(v) for v in rect)
                area = (min(left, right), min(bottom, top), max(left, right), max(bottom, top))
                found.setdefault(index, []).append(("\n".join(strings), area))
    return found


_TEXT_KEYS = ("/Contents", "/RC", "/V", "/T", "/TU", "/DV", "/CA")


def _strings_of(annotation: Any) -> list[str]:
    strings: list[str] = []
    for holder in (annotation, annotation.get("/Parent")):
        if holder is None:
            continue
        holder = holder.get_object()
        for key in _TEXT_KEYS:
            value = holder.get(key)
            if value is not None and not hasattr(value, "get_data"):
                strings.append(str(value))
    appearance = annotation.get("/AP")
    normal = appearance.get_object().get("/N") if appearance is not None else None
    if normal is not None:
        normal = normal.get_object()
        if hasattr(normal, "get_data"):
            strings.append(normal.get_data().decode("latin-1"))
    return strings


def _page_image(page: pdfium.PdfPage, image: Image.Image, request: RedactRequest) -> PageImage:
    """The burned page as a JPEG, with a white footer strip under it where the bundle stamps
    the page's number (workers/redact/bundle.py), so the number never covers content."""
    width_pt, height_pt = page.get_size()
    if request.footer:
        footer_px = round(FOOTER_PT * image.height / height_pt)
        framed = Image.new("RGB", (image.width, image.height + footer_px), (255, 255, 255))
        framed.paste(image, (0, 0))
        image, height_pt = framed, height_pt + FOOTER_PT
    grey = _is_grey(image)
    out = io.BytesIO()
    (image.convert("L") if grey else image).save(out, format="JPEG", quality=request.jpeg_quality)
    return PageImage(out.getvalue(), image.width, image.height, grey, width_pt, height_pt)


def _is_grey(image: Image.Image) -> bool:
    """Whether the page has no colour worth keeping (a third of the JPEG's size, and its
    encoding time): no pixel of the page reduced 8 times (box-averaged) has channels more than
    12 apart. (A 64x64 thumbnail read through Python took 70 ms a page; this takes 16.)"""
    reduced = image.reduce(8)
    red, green, blue = reduced.split()
    spreads = (
        cast(tuple[int, int], ImageChops.difference(a, b).getextrema())[1]
        for a, b in ((red, green), (green, blue), (red, blue))
    )
    return max(spreads) <= 12


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
