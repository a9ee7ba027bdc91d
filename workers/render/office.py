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
from workers.render.base import RenderFailed, RenderRequest, RenderResult
from workers.render.pdf import pdfium_pages

# The types LibreOffice reads that a rendition is made from (those it reads as office files:
# workers/convert decides the text; a page layout is only wanted of these).
OFFICE_MIME_TYPES = frozenset(
    {
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        "application/vnd.ms-word.document.macroenabled.12",
        "application/rtf",
        "text/rtf",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/vnd.oasis.opendocument.graphics",
        "application/vnd.sun.xml.writer",
        "application/vnd.sun.xml.calc",
        "application/vnd.stardivision.writer",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.ms-works",
        "application/vnd.wordperfect",
        "application/wordperfect",
        "application/x-wordperfect",
        "application/vnd.visio",
        "application/vnd.ms-visio.drawing",
        "application/x-iwork-pages-sffpages",
        "application/vnd.apple.pages",
    }
)


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
