"""Pick an extractor by MIME type (highest score wins) and turn every failure into a reason code.

`extract_file` runs in the current process: callers with untrusted files run it through
workers.sandbox, which adds the time and memory limits this module cannot enforce itself.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.logging import get_logger
from core.states import Reason
from workers.extract.base import (
    TEXT_LAYERS,
    ExtractionResult,
    Limits,
    PageRange,
    PageText,
    ocr_confidence,
)
from workers.extract.failures import ExtractionFailed
from workers.filetype import TEXT_APPLICATION_MIMES

log = get_logger(__name__)

ExtractFn = Callable[[Path, Limits, Path], ExtractionResult]
PagesFn = Callable[[Path, Limits, Path, PageRange], ExtractionResult]


def _parser(module: str, name: str) -> Any:
    """The function `name` of `module`, imported on its first call."""

    def run(*args: Any) -> ExtractionResult:
        parse: Callable[..., ExtractionResult] = getattr(importlib.import_module(module), name)
        return parse(*args)

    run.__name__ = name
    return run


extract_pdf: ExtractFn = _parser("workers.extract.pdf", "extract_pdf")
extract_pdf_pages: PagesFn = _parser("workers.extract.pdf", "extract_pdf_pages")
extract_docx: ExtractFn = _parser("workers.extract.office", "extract_docx")
extract_odt: ExtractFn = _parser("workers.extract.office", "extract_odt")
extract_rtf: ExtractFn = _parser("workers.extract.office", "extract_rtf")
extract_html: ExtractFn = _parser("workers.extract.text", "extract_html")
extract_text: ExtractFn = _parser("workers.extract.text", "extract_text")
extract_eml: ExtractFn = _parser("workers.extract.mail", "extract_eml")
extract_msg_file: ExtractFn = _parser("workers.extract.mail", "extract_msg_file")
extract_image: ExtractFn = _parser("workers.extract.ocr", "extract_image")
extract_office: ExtractFn = _parser("workers.extract.legacy_office", "extract_office")
extract_opendocument: ExtractFn = _parser("workers.extract.legacy_office", "extract_opendocument")
extract_image_frames: PagesFn = _parser("workers.extract.ocr", "extract_image_frames")
extract_zip: ExtractFn = _parser("workers.extract.containers", "extract_zip")
extract_tar: ExtractFn = _parser("workers.extract.containers", "extract_tar")
extract_compressed: ExtractFn = _parser("workers.extract.containers", "extract_compressed")
extract_7z: ExtractFn = _parser("workers.extract.containers", "extract_7z")
extract_mbox: ExtractFn = _parser("workers.extract.mailboxes", "extract_mbox")
extract_tnef: ExtractFn = _parser("workers.extract.mailboxes", "extract_tnef")
extract_pst: ExtractFn = _parser("workers.extract.mailboxes", "extract_pst")


LIBREOFFICE = "libreoffice"
# libmagic's type for an encrypted Office file (and other encrypted containers it knows).
ENCRYPTED_MIME = "application/encrypted"
# What LibreOffice reads for escr, as libmagic (and workers.filetype) name it. Also the list a
# Celery runner routes to the convert queue.
OFFICE_MIMES = {
    "application/msword": 100,
    "application/vnd.ms-word.document.macroenabled.12": 100,
    # A Word template: python-docx refuses its content type, LibreOffice reads it.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template": 100,
    "application/vnd.ms-excel": 100,
    "application/vnd.ms-powerpoint": 100,
    "application/vnd.ms-works": 100,
    "application/vnd.visio": 100,
    "application/vnd.ms-visio.drawing": 100,
    "application/vnd.wordperfect": 100,
    "application/wordperfect": 100,
    "application/x-wordperfect": 100,
    "application/x-iwork-pages-sffpages": 100,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100,
    "application/vnd.ms-excel.sheet.macroenabled.12": 100,
    "application/vnd.ms-powerpoint.presentation.macroenabled.12": 100,
    "application/vnd.sun.xml.writer": 100,
    "application/vnd.sun.xml.writer.template": 100,
    "application/vnd.sun.xml.calc": 100,
    "application/vnd.sun.xml.impress": 100,
    "application/vnd.sun.xml.draw": 100,
    "application/vnd.stardivision.writer": 100,
    "application/vnd.stardivision.calc": 100,
    "application/vnd.stardivision.impress": 100,
    "application/vnd.stardivision.draw": 100,
    "application/vnd.apple.pages": 100,
    "application/vnd.apple.keynote": 100,
    "application/vnd.apple.numbers": 100,
    # OLE files libmagic names only as Office: LibreOffice tells which.
    "application/vnd.ms-office": 50,
    # libmagic's name for a password-protected Office file (ends `encrypted`, unconverted).
    ENCRYPTED_MIME: 50,
}


@dataclass(frozen=True)
class Extractor:
    """One parser and the MIME types it reads, each with a score (higher = better fit)."""

    name: str
    run: ExtractFn
    mime_types: dict[str, int]
    # Score for any MIME type under this prefix ("text/") that no extractor names exactly.
    fallback: tuple[str, int] | None = None
    # The parser for a page range, where the format has pages worth splitting (PDF, TIFF).
    run_pages: PagesFn | None = None
    # The engine a document of pages OCRed by range reports, once its pages are put together.
    ocr_engine: str = ""
    # A second parser for a file this one finds damaged: LibreOffice opens what python-docx
    # refuses (Strict OOXML, parts it does not expect).
    otherwise: ExtractFn | None = None

    def score(self, mime: str) -> int:
        if mime in self.mime_types:
            return self.mime_types[mime]
        if self.fallback and mime.startswith(self.fallback[0]):
            return self.fallback[1]
        return 0


EXTRACTORS: tuple[Extractor, ...] = (
    Extractor(
        "pdf",
        extract_pdf,
        {"application/pdf": 100, "application/x-pdf": 90},
        run_pages=extract_pdf_pages,
        ocr_engine="pdfium+tesseract",
    ),
    Extractor(
        "docx",
        extract_docx,
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100},
        otherwise=extract_office,
    ),
    Extractor("odt", extract_odt, {"application/vnd.oasis.opendocument.text": 100}),
    Extractor("rtf", extract_rtf, {"text/rtf": 100, "application/rtf": 100}),
    Extractor("html", extract_html, {"text/html": 100, "application/xhtml+xml": 90}),
    Extractor(
        "text",
        extract_text,
        {"text/plain": 100, **dict.fromkeys(TEXT_APPLICATION_MIMES, 90)},
        fallback=("text/", 10),
    ),
    Extractor("eml", extract_eml, {"message/rfc822": 100}),
    Extractor(
        "msg",
        extract_msg_file,
        # libmagic names some messages only by their OLE container; try them as MSG.
        {"application/vnd.ms-outlook": 100, "application/CDFV2": 10, "application/cdfv2": 10},
    ),
    Extractor(
        "image",
        extract_image,
        {"image/jpeg": 100, "image/png": 100, "image/tiff": 100},
        fallback=("image/", 50),
        run_pages=extract_image_frames,
        ocr_engine="tesseract",
    ),
    # Legacy and other office formats, through a warm LibreOffice (docs/decisions/0024).
    Extractor(LIBREOFFICE, extract_office, OFFICE_MIMES),
    Extractor(
        "opendocument",
        extract_opendocument,
        {
            "application/vnd.oasis.opendocument.spreadsheet": 100,
            "application/vnd.oasis.opendocument.spreadsheet-template": 100,
            "application/vnd.oasis.opendocument.presentation": 100,
            "application/vnd.oasis.opendocument.presentation-template": 100,
            "application/vnd.oasis.opendocument.graphics": 100,
            "application/vnd.oasis.opendocument.graphics-template": 100,
        },
    ),
    # Containers: their members become child documents (docs/decisions/0025).
    Extractor("zip", extract_zip, {"application/zip": 100, "application/x-zip-compressed": 90}),
    Extractor("tar", extract_tar, {"application/x-tar": 100, "application/x-gtar": 90}),
    Extractor(
        "compressed",
        extract_compressed,
        {
            "application/gzip": 100,
            "application/x-gzip": 90,
            "application/x-bzip2": 100,
            "application/x-xz": 100,
        },
    ),
    Extractor("7z", extract_7z, {"application/x-7z-compressed": 100}),
    Extractor("mbox", extract_mbox, {"application/mbox": 100}),
    Extractor("tnef", extract_tnef, {"application/vnd.ms-tnef": 100}),
    Extractor("pst", extract_pst, {"application/vnd.ms-outlook-pst": 100}),
)


@lru_cache(maxsize=512)
def choose(mime: str) -> Extractor | None:
    """The extractor with the highest score for `mime`, or None when none reads it. Kept per
    type: scoring all the extractors was asked twice a file (extract_without_ocr, extract_file)."""
    best = max(EXTRACTORS, key=lambda extractor: extractor.score(mime))
    return best if best.score(mime) > 0 else None


def reads_page_ranges(mime: str) -> bool:
    """Whether the extractor for `mime` reads page ranges (else a PageRange is ignored)."""
    extractor = choose(mime)
    return extractor is not None and extractor.run_pages is not None


def joined_pages(
    mime: str, pages: int, texts: Sequence[PageText], limits: Limits
) -> ExtractionResult:
    """The extraction of a document whose pages were read by range (text layers first, then OCR
    of the others), from every page's text in page order."""
    extractor = choose(mime)
    result = ExtractionResult(
        ok=True,
        text="\f".join(page.text or "" for page in texts),
        pages=pages,
        ocr_pages=sum(1 for page in texts if page.ocr),
        engine=extractor.ocr_engine if extractor is not None else "",
        ocr_confidence=ocr_confidence(texts),
    )
    finish(result, limits)
    return result


def failed_range(result: ExtractionResult, first: int, last: int, pages: int) -> ExtractionResult:
    """A page range that could not be read ends its whole document with the range's reason."""
    detail = f"pages {first}-{last}: {result.detail}"[:500]
    return ExtractionResult(
        ok=False, reason=result.reason, detail=detail, pages=pages, engine=result.engine
    )


def extract_file(
    path: str, mime: str, limits: Limits, tmp_dir: str, pages: PageRange | None = None
) -> ExtractionResult:
    """Extract the text of one file (or of the `pages` asked for, where the format pages: see
    PageRange). Never raises for anything the file contains."""
    source = Path(path)
    if source.stat().st_size == 0:
        return ExtractionResult(ok=False, reason=Reason.EMPTY_FILE.value, detail="zero bytes")
    extractor = choose(mime)
    if extractor is None:
        return ExtractionResult(ok=True, engine="none", reason=Reason.UNSUPPORTED_TYPE.value)
    result = _run_guarded(extractor, source, limits, Path(tmp_dir), pages)
    if not result.ok and result.reason == Reason.CORRUPT.value and extractor.otherwise:
        second = replace(extractor, name=f"{extractor.name}:otherwise", run=extractor.otherwise)
        retried = _run_guarded(second, source, limits, Path(tmp_dir), pages)
        result = retried if retried.ok else result
    if result.ok:
        finish(result, limits)
    return result


def _run_guarded(
    extractor: Extractor, path: Path, limits: Limits, tmp_dir: Path, pages: PageRange | None
) -> ExtractionResult:
    from PIL import Image  # with the parsers (sandbox_server.PARSER_MODULES), not the loader

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            # Parsers warn freely about damaged files; that is not an error. A pixel count past
            # the limit is, so Pillow's bomb warning (not only its 2x error) ends the parse.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if pages is not None and extractor.run_pages is not None:
                return extractor.run_pages(path, limits, tmp_dir, pages)
            return extractor.run(path, limits, tmp_dir)
    except ExtractionFailed as exc:
        return _failed(extractor, exc.reason, exc.detail)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return _failed(extractor, Reason.TOO_LARGE, str(exc)[:200])
    except MemoryError:
        return _failed(extractor, Reason.MEMORY_LIMIT, "MemoryError")
    except RecursionError:
        return _failed(extractor, Reason.CORRUPT, "structure nested too deeply")
    except Exception as exc:  # any other parser failure means the file is broken
        return _failed(extractor, Reason.CORRUPT, f"{type(exc).__name__}: {exc}"[:200])


def _failed(extractor: Extractor, reason: Reason, detail: str) -> ExtractionResult:
    log.info("extract.failed", extractor=extractor.name, reason=reason.value)
    return ExtractionResult(ok=False, engine=extractor.name, reason=reason.value, detail=detail)


def finish(result: ExtractionResult, limits: Limits) -> None:
    """Cut text at the limit and note a file that parsed but held no text (a file with pages
    still waiting for OCR is not known to be without text yet)."""
    if len(result.text) > limits.max_text_chars:
        result.text = result.text[: limits.max_text_chars]
        result.truncated = True
    budget = limits.max_text_chars
    for index, page in enumerate(result.page_texts):
        if page.text is not None and len(page.text) > budget:
            result.page_texts[index] = replace(page, text=page.text[:budget])
            result.truncated = True
        budget -= len(result.page_texts[index].text or "")
    if not result.text.strip() and result.reason is None and not result.pending_ocr:
        result.text = ""
        result.reason = Reason.NO_TEXT.value


def extract_without_ocr(
    path: str, mime: str, limits: Limits, tmp_dir: str
) -> ExtractionResult | None:
    """The file's text where reading it needs no OCR: a PDF whose every page has a text layer,
    or a format without scans in it. None where OCR is needed (an image, a page without a text
    layer): the caller extracts the file again, OCR included, as a job of its own, so that
    seconds of OCR never sit in a list of cheap files (docs/decisions/0013)."""
    extractor = choose(mime)
    if extractor is not None and extractor.name == "image":
        return None
    if extractor is None or extractor.run_pages is None:
        return extract_file(path, mime, limits, tmp_dir)
    result = extract_file(path, mime, limits, tmp_dir, TEXT_LAYERS)
    if result.ok and result.pending_ocr:
        return None
    result.page_texts = []  # the whole text is the answer, as extract_pdf gives it
    return result
