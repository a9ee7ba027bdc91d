"""An office file's rendition: LibreOffice's own PDF export (Word, WordPerfect, Works, RTF,
OpenDocument, spreadsheets, presentations, Visio), through the warm, supervised converter of
workers/convert/libreoffice.py, under the job's limits."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from tempfile import gettempdir
from typing import Any

from core.states import Reason
from workers.extract.base import Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.registry import ENCRYPTED_MIME, EXTRACTORS, LIBREOFFICE
from workers.render.base import RenderFailed, RenderRequest, RenderResult
from workers.render.layout import write_text_pdf
from workers.render.pdf import pdfium_pages

# The types a rendition is made from by LibreOffice: every type escr reads as an office document,
# through LibreOffice or natively (workers/extract/registry.py holds the one list), except an
# encrypted file's, which LibreOffice cannot open.
_OFFICE_READERS = frozenset({LIBREOFFICE, "docx", "odt", "rtf", "opendocument"})
OFFICE_MIME_TYPES = frozenset(
    mime
    for extractor in EXTRACTORS
    if extractor.name in _OFFICE_READERS
    for mime in extractor.mime_types
) - {ENCRYPTED_MIME}


# Types escr reads itself, not through LibreOffice: where LibreOffice cannot lay one out (it
# refuses odfpy's nasty.odt, whose content.xml declares an external entity, a re-zipped .ods and
# a malformed RTF that escr reads), the rendition is the text escr read from it, marked as such.
_NATIVE_READERS = _OFFICE_READERS - {LIBREOFFICE}
NATIVE_OFFICE_MIME_TYPES = frozenset(
    mime
    for extractor in EXTRACTORS
    if extractor.name in _NATIVE_READERS
    for mime in extractor.mime_types
)
TEXT_ONLY_NOTE = "its text only: LibreOffice could not lay out this file"


def render_office(request: RenderRequest, limits: Limits) -> RenderResult:
    convert = _converter()
    out_dir = Path(request.scratch) / "pdf"
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        made = Path(convert(Path(request.path), "pdf", out_dir, limits))
    except ExtractionFailed as exc:
        raise RenderFailed(exc.reason.value, exc.detail) from exc
    pages, problem = pdfium_pages(made)
    if not pages:
        raise RenderFailed(Reason.CORRUPT.value, f"LibreOffice wrote no readable PDF: {problem}")
    shutil.move(made, request.out_path)
    return RenderResult(ok=True, pages=pages, method="libreoffice")


def _converter() -> Any:
    try:
        module = importlib.import_module("workers.convert.libreoffice")
    except ImportError as exc:
        raise RenderFailed(
            Reason.UNSUPPORTED_TYPE.value, "LibreOffice conversion is not installed"
        ) from exc
    return module.convert


def render_office_text(request: RenderRequest, limits: Limits) -> RenderResult:
    """The text escr reads from an office file LibreOffice could not lay out, as pages."""
    from workers.extract.registry import extract_file

    result = extract_file(request.path, request.mime, limits, request.scratch or gettempdir())
    if not result.ok or not result.text.strip():
        raise RenderFailed(result.reason or Reason.CORRUPT.value, result.detail or "no text")
    pages = write_text_pdf(
        Path(request.out_path),
        title=request.title,
        headers=[("Shown", TEXT_ONLY_NOTE)],
        body=result.text,
    )
    return RenderResult(ok=True, pages=pages, method="office_text")
