"""The release gate: nothing leaves escr while a redacted term can be read out of it
(docs/decisions/0034).

A released PDF is read back by every route a person (or a PDF editor) could take to a string:
PDFium's text of each page, pypdf's text of each page, annotations, form fields, document
information, XMP, outline titles and embedded files, every string and every decompressed
stream of every object pikepdf finds (unreferenced ones too), the file's raw bytes (an earlier
revision lives there), and Tesseract's reading of every redacted page's pixels (a grainy
scan's cleaned copy too, decision 0049). A term found by any of them is a leak. So is
anything a burned PDF never holds (a second revision, metadata, an outline, names, a form,
annotations, JavaScript, an open action): the gate proves the file clean, it does not trust
how it was made.

Image streams are searched by OCR, not as bytes: a JPEG's bytes spell a three-letter name
by chance about once a page.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Name
from PIL import Image

from domain.redaction import contains_any
from workers.extract import ocr_repair

# The only keys a clean document catalog and page have (fpdf2's front matter is cleaned to this).
_CLEAN_ROOT = {"/Type", "/Pages"}
_CLEAN_PAGE = {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents"}
_FONT_STREAMS = ("/FontFile", "/FontFile2", "/FontFile3")
# The gate's Tesseract command, one process for all the OCR pages of a file (decision 0047).
# Tesseract's defaults: measured on 24 pages with 144 planted third-party terms
# (tests/factories/gate_pages.py, bench/bench_gate_ocr.py), --psm 4, 6 and 11 read across
# two columns and lose every term broken over a line inside a column (114, 105 and 116/144
# against 128), --psm 6 also both contact tables, and tessedit_do_invert=0 white type on a
# black band (120/144); none was faster by more than the noise. One process a document
# (a list of files) saves Tesseract's start and model load on every page but the first.
TESSERACT_OPTIONS: tuple[str, ...] = ("--psm", "3")


@dataclass
class Verdict:
    """What the gate found: `problems` empty means the file may be released."""

    problems: list[str] = field(default_factory=list)
    image_sha256: list[str] = field(default_factory=list)  # each page's image stream, in order
    ocr_pages: list[int] = field(default_factory=list)

    def add(self, where: str, found: list[str]) -> None:
        for term in found:
            self.problems.append(f"{where}: {shown_term(term)}")


def shown_term(term: str) -> str:
    """A term in a message: its first letter only (the message is logged and audited)."""
    return f"a redacted term ({term[:1]}…, {len(term)} chars)"


def check_pdf(
    path: Path,
    terms: Collection[str],
    *,
    ocr_pages: Collection[int] = (),
    language: str = "eng",
    page_terms: dict[int, tuple[str, ...]] | None = None,
) -> Verdict:
    """Every way `terms` could be read out of the PDF at `path`; `ocr_pages` (0-based) are
    read again with Tesseract. `page_terms` adds terms that only some pages must not hold (a
    bundle's documents each have their own)."""
    verdict = Verdict()
    everywhere = tuple(terms)
    data = path.read_bytes()
    _check_revisions(data, verdict)
    _check_pdfium(path, everywhere, page_terms or {}, verdict)
    _check_pypdf(path, everywhere, page_terms or {}, verdict)
    images = _check_objects(path, data, everywhere, verdict)
    verdict.image_sha256 = [hashlib.sha256(raw).hexdigest() for raw, _ in images]
    readable: list[tuple[int, bytes]] = []
    for index in sorted(set(ocr_pages)):
        jpeg = images[index][1] if index < len(images) else None
        if jpeg is None:
            verdict.problems.append(f"page {index + 1}: no page image to read")
        else:
            readable.append((index, jpeg))
    texts = read_pages([jpeg for _, jpeg in readable], language)
    for (index, _), text in zip(readable, texts, strict=True):
        page_all = everywhere + (page_terms or {}).get(index, ())
        verdict.add(f"page {index + 1} OCR", readable_terms(text, page_all))
        verdict.ocr_pages.append(index)
    return verdict


def _terms_of(
    page: int, everywhere: tuple[str, ...], page_terms: dict[int, tuple[str, ...]]
) -> tuple[str, ...]:
    return everywhere + page_terms.get(page, ())


def _check_revisions(data: bytes, verdict: Verdict) -> None:
    """One revision: one cross-reference section, nothing appended after the first %%EOF."""
    if data.count(b"startxref") != 1 or re.search(rb"/Prev\s", data):
        verdict.problems.append("file: more than one revision")
    end = data.rfind(b"%%EOF")
    if end < 0 or data[end + 5 :].strip():
        verdict.problems.append("file: bytes after the end of the file")


def _check_pdfium(
    path: Path,
    everywhere: tuple[str, ...],
    page_terms: dict[int, tuple[str, ...]],
    verdict: Verdict,
) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            page.close()
            found = contains_any(text, _terms_of(index, everywhere, page_terms))
            verdict.add(f"page {index + 1} text (PDFium)", found)
    finally:
        document.close()


def _check_pypdf(
    path: Path,
    everywhere: tuple[str, ...],
    page_terms: dict[int, tuple[str, ...]],
    verdict: Verdict,
) -> None:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    for index, page in enumerate(reader.pages):
        terms = _terms_of(index, everywhere, page_terms)
        verdict.add(f"page {index + 1} text (pypdf)", contains_any(page.extract_text(), terms))
        if page.get("/Annots"):
            verdict.problems.append(f"page {index + 1}: annotations")
            annotations = repr(page["/Annots"].get_object())
            verdict.add(f"page {index + 1} annotations", contains_any(annotations, terms))
    all_terms = everywhere + tuple(t for ts in page_terms.values() for t in ts)
    fields = reader.get_fields() or {}
    if fields:
        verdict.problems.append("file: form fields")
        verdict.add("form fields", contains_any(repr(fields), all_terms))
    if reader.metadata:
        verdict.problems.append("file: document information")
        verdict.add("document information", contains_any(repr(dict(reader.metadata)), all_terms))
    if reader.xmp_metadata is not None:
        verdict.problems.append("file: XMP metadata")
    if reader.outline:
        verdict.problems.append("file: outline (bookmarks)")
        verdict.add("outline", contains_any(repr(reader.outline), all_terms))
    for name, contents in reader.attachments.items():
        verdict.problems.append("file: embedded files")
        for content in contents:
            text = name + "\n" + _as_text(content)
            verdict.add("embedded file", contains_any(text, all_terms))


def _check_objects(
    path: Path, data: bytes, everywhere: tuple[str, ...], verdict: Verdict
) -> list[tuple[bytes, bytes | None]]:
    """Every object's strings and non-image streams, and the raw bytes between images; returns
    each page's image stream (raw bytes, and the decodable image) in page order."""
    all_terms = everywhere
    images: list[tuple[bytes, bytes | None]] = []
    skipped: list[bytes] = []
    with pikepdf.open(path) as pdf:
        extra = set(pdf.Root.keys()) - _CLEAN_ROOT
        if extra:
            verdict.problems.append(f"file: catalog holds {sorted(extra)}")
        if "/Info" in pdf.trailer:
            verdict.problems.append("file: document information")
        for page in pdf.pages:
            images.append(_page_image(page))
            extra = set(page.obj.keys()) - _CLEAN_PAGE
            if extra:
                verdict.problems.append(f"page: holds {sorted(extra)}")
        image_raw = {raw for raw, _ in images}
        texts: list[str] = []
        font_streams = _font_streams(pdf)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                if obj.get("/Subtype") == Name.Image or raw in image_raw:
                    skipped.append(raw)
                    continue
                if obj.objgen in font_streams:
                    skipped.append(raw)  # glyph programs, not text (our own fonts only)
                    continue
                try:
                    texts.append(_as_text(obj.read_bytes()))
                except pikepdf.PdfError:
                    verdict.problems.append(f"object {obj.objgen}: a stream that cannot be read")
                texts.append(repr(obj.stream_dict))
            else:
                texts.append(_strings(obj))
        verdict.add("objects", contains_any("\n".join(texts), all_terms))
    verdict.add("raw bytes", contains_any(_outside(data, skipped), all_terms))
    return images


def _font_streams(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    found = set()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == Name.FontDescriptor:
            for key in _FONT_STREAMS:
                if key in obj:
                    found.add(obj[key].objgen)
    return found


def _outside(data: bytes, skipped: list[bytes]) -> str:
    """The file's bytes less the skipped streams' (images are read by OCR), as text. The
    streams are looked for from where the last was found: written in order, each is found at
    once, and a 5,000-page bundle is not searched from its start 5,000 times."""
    spans: list[tuple[int, int]] = []
    hint = 0
    for raw in skipped:
        if len(raw) <= 64:
            continue  # too short to be told apart from other bytes; searched with them
        start = data.find(raw, hint)
        if start < 0:
            start = data.find(raw)
        if start >= 0:
            spans.append((start, start + len(raw)))
            hint = start + len(raw)
    spans.sort()
    parts, position = [], 0
    for start, end in spans:
        if start >= position:
            parts.append(data[position:start])
            position = end
    parts.append(data[position:])
    return "\n".join(_as_text(part) for part in parts)


def _as_text(data: bytes) -> str:
    """Bytes read every way text is stored: single bytes (Latin-1 covers ASCII, PDFDocEncoding's
    letters and UTF-8's ASCII), and UTF-16 of either order where there are zero bytes."""
    texts = [data.decode("latin-1")]
    if b"\x00" in data:
        texts += [data.decode("utf-16-le", "ignore"), data.decode("utf-16-be", "ignore")]
        texts.append(data[1:].decode("utf-16-le", "ignore"))  # odd-aligned
    return "\n".join(texts)


def _strings(obj: object, top: bool = True) -> str:
    """A non-stream object's strings, decoded (PDFDocEncoding or UTF-16) and as bytes. An
    indirect object inside is not followed: pdf.objects visits it on its own (and pages and
    their tree refer to each other)."""
    if not top and isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return ""
    if isinstance(obj, pikepdf.String):
        return f"{obj}\n{bytes(obj).decode('latin-1')}"
    if isinstance(obj, pikepdf.Array):
        return "\n".join(_strings(item, False) for item in obj)
    if isinstance(obj, pikepdf.Dictionary):
        return "\n".join(f"{key}\n{_strings(value, False)}" for key, value in obj.items())
    return str(obj) if isinstance(obj, pikepdf.Name) else ""


def _page_image(page: pikepdf.Page) -> tuple[bytes, bytes | None]:
    """The page's one image stream: its raw bytes, and a JPEG Tesseract can read (None when
    the page is not an image page: front matter written as text)."""
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if resources is not None else None
    for _name, image in (xobjects or pikepdf.Dictionary()).items():
        if image.get("/Subtype") == Name.Image:
            raw = image.read_raw_bytes()
            return raw, raw if image.get("/Filter") == Name.DCTDecode else None
    return b"", None


def read_pages(jpegs: list[bytes], language: str, *, clean: bool = True) -> list[str]:
    """Tesseract's text of each page image (JPEG bytes), in order, all read by one process.
    A grainy or speckled page (`clean`) is read a second time cleaned, in the same process
    (ocr_repair.cleaned_in_place: Tesseract can read nothing of a dusty scan as it is), and
    its two texts come back joined by a form feed (decision 0049). Raises (so nothing is
    released) when Tesseract fails or does not return one text a file it was given."""
    if not jpegs:
        return []
    with tempfile.TemporaryDirectory(prefix="gate-ocr-") as folder:
        listing = Path(folder) / "pages.txt"
        paths: list[Path] = []
        owners: list[int] = []
        for number, jpeg in enumerate(jpegs):
            paths.append(Path(folder) / f"{number:05d}.jpg")
            owners.append(number)
            # Decoded and written again at Pillow's default quality, as pytesseract wrote
            # each page before decision 0047, so Tesseract reads the pixels it read then.
            # The PDF's own JPEG saved ~15 ms a page (inside the noise) and read 126/144
            # planted terms against 128 (a faded scan reads differently if any pixel moves).
            with Image.open(io.BytesIO(jpeg)) as image:
                image.save(paths[-1], format="JPEG")
                cleaned = ocr_repair.cleaned_in_place(image) if clean else None
            if cleaned is not None:
                paths.append(Path(folder) / f"{number:05d}-cleaned.pgm")
                owners.append(number)
                cleaned.save(paths[-1], format="PPM")  # uncompressed: cheapest to write
        listing.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
        command = ["tesseract", str(listing), "stdout", "-l", language, *TESSERACT_OPTIONS]
        out = subprocess.run(command, capture_output=True, check=True).stdout
    # Tesseract writes its page_separator (a form feed) between one file's text and the next.
    texts = out.decode("utf-8", "replace").split("\f")
    if len(texts) != len(paths):
        raise RuntimeError(f"tesseract returned {len(texts)} texts for {len(paths)} images")
    readings: list[list[str]] = [[] for _ in jpegs]
    for owner, text in zip(owners, texts, strict=True):
        readings[owner].append(text)
    return ["\f".join(parts) for parts in readings]


def readable_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """The terms in a page's text from `read_pages`, each reading searched alone (a term is
    never pieced together from the end of one reading and the start of the next)."""
    found: list[str] = []
    for reading in text.split("\f"):
        found += [term for term in contains_any(reading, terms) if term not in found]
    return found
