"""A PDF's rendition: the file itself where PDFium opens it (born-digital PDFs as they are),
else a repaired copy: qpdf's recovery (pikepdf) rebuilds a broken cross-reference table or
trailer, pypdf's lenient reader is tried after it. The repair is accepted only when PDFium,
the engine that reads and shows PDFs here, opens the result with pages in it."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from pypdfium2.raw import FPDF_ERR_PASSWORD

from core.states import Reason
from workers.extract.base import Limits
from workers.render.base import RenderFailed, RenderRequest, RenderResult


def render_pdf(request: RenderRequest, limits: Limits) -> RenderResult:
    source, out = Path(request.path), Path(request.out_path)
    pages, problem = pdfium_pages(source)
    if pages:
        return RenderResult(ok=True, pages=pages, method="original", original=True)
    if problem == "password":
        raise RenderFailed(Reason.ENCRYPTED.value, "needs a password")
    notes = [f"pdfium: {problem}"]
    for name, repair in (("pikepdf", _repair_with_pikepdf), ("pypdf", _repair_with_pypdf)):
        try:
            repair(source, out)
        except Exception as exc:  # any failure of a repair means the next one is tried
            notes.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            continue
        pages, problem = pdfium_pages(out)
        if pages:
            return RenderResult(ok=True, pages=pages, method="repaired", notes=[*notes, name])
        notes.append(f"{name} wrote a PDF pdfium cannot show: {problem}")
    raise RenderFailed(Reason.CORRUPT.value, "; ".join(notes)[:500])


def pdfium_pages(path: Path) -> tuple[int, str]:
    """The page count PDFium finds (0 where it cannot open the file, and why)."""
    try:
        # password=None: the empty user password, which opens PDFs "encrypted" only to
        # restrict printing or copying (as extraction does).
        document = pdfium.PdfDocument(str(path), password=None)
    except pdfium.PdfiumError as exc:
        return 0, "password" if exc.err_code == FPDF_ERR_PASSWORD else str(exc)[:200]
    try:
        return len(document), "no pages"
    finally:
        document.close()


def _repair_with_pikepdf(source: Path, out: Path) -> None:
    import pikepdf

    with pikepdf.open(source, suppress_warnings=True, attempt_recovery=True) as document:
        document.save(out)


def _repair_with_pypdf(source: Path, out: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(source, strict=False)
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    with out.open("wb") as handle:
        writer.write(handle)
