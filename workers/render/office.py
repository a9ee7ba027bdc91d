"""An office file's rendition: LibreOffice's own PDF export (Word, WordPerfect, Works, RTF,
OpenDocument, spreadsheets, presentations, Visio), through the warm, supervised converter of
workers/convert/libreoffice.py, under the job's limits."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

from core.states import Reason
from workers.extract.base import Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.registry import ENCRYPTED_MIME, EXTRACTORS, LIBREOFFICE
from workers.render.base import RenderFailed, RenderRequest, RenderResult
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
