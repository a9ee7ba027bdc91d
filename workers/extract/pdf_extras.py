"""What a PDF holds besides its pages' text: the values of its form fields (AcroForm) and its
embedded files (the EmbeddedFiles name tree: PDF attachments).

Looked for while PDFium has the document open for its text layers (workers.extract.pdf_text),
where asking costs two calls; read only when there is something: the embedded files through
PDFium, under the archive limits of workers.extract.unpack (they become child documents, as an
email's attachments do), the form fields through pypdf, which walks the field tree with its
full names and values (a filled form's answers are its most important words).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2.raw as pdfium_c

from core.logging import get_logger
from core.states import Reason
from workers.extract.base import Attachment, ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.unpack import Unpacker

log = get_logger(__name__)


@dataclass
class PdfExtras:
    """The form fields' text and the embedded files of one PDF, read from its open document."""

    limits: Limits
    tmp_dir: Path
    has_form: bool = False
    form_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    listing: str = ""

    def read(self, document: pdfium_c.FPDF_DOCUMENT, path: Path, data: bytes | None) -> None:
        """Called by pdf_text.layer_texts while PDFium has the document open (`data`: the file's
        bytes, where it read them whole)."""
        self.has_form = _may_have_form(data) and (
            pdfium_c.FPDF_GetFormType(document) != pdfium_c.FORMTYPE_NONE
        )
        count = pdfium_c.FPDFDoc_GetAttachmentCount(document)
        if count > 0:
            self._embedded(document, count, path.stat().st_size)
        if self.has_form:
            self.form_text = form_fields_text(path)

    def _embedded(self, document: pdfium_c.FPDF_DOCUMENT, count: int, size: int) -> None:
        try:
            with Unpacker(self.limits, self.tmp_dir, size) as unpack:
                unpack.expect(count, 0)
                for index in range(count):
                    attachment = pdfium_c.FPDFDoc_GetAttachment(document, index)
                    if not attachment:
                        continue
                    name = _attachment_name(attachment) or f"attachment-{index + 1}"
                    data = _attachment_bytes(attachment, unpack.max_bytes - unpack.total)
                    if data is None:
                        unpack.damage(name, "its bytes could not be read")
                    else:
                        unpack.add_bytes(name, data)
                listed = unpack.result("pdf")
        except ExtractionFailed as refused:
            # The PDF's own text still counts: its embedded files are refused, and say so.
            self.listing = f"Embedded files refused: {refused.detail}"
            return
        self.attachments = listed.attachments
        self.listing = "Embedded files:\n" + listed.text

    def add_to(self, result: ExtractionResult) -> None:
        """The PDF's extraction with the form's answers and the embedded files' list after its
        pages' text, and the files as attachments (child documents)."""
        parts = [result.text, self.form_text, self.listing]
        result.text = "\n\n".join(part for part in parts if part)
        result.attachments.extend(self.attachments)

    def discard(self) -> None:
        """Remove the embedded files written (a first pass whose result is not kept)."""
        for attachment in self.attachments:
            Path(attachment.path).unlink(missing_ok=True)
        self.attachments = []


def _may_have_form(data: bytes | None) -> bool:
    """Whether a form is worth asking PDFium about: FPDF_GetFormType loads the form, 0.3 ms of
    a letter's 1.8 ms. A catalog names its form in the clear unless it sits in a compressed
    object stream; a file not read whole is asked anyway (its pages cost far more)."""
    return data is None or b"/AcroForm" in data or b"/ObjStm" in data


def _attachment_name(attachment: Any) -> str:
    size = pdfium_c.FPDFAttachment_GetName(attachment, None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFAttachment_GetName(attachment, buffer, size)
    return bytes(memoryview(buffer)).decode("utf-16-le", errors="replace").rstrip("\x00")


def _attachment_bytes(attachment: Any, budget: int) -> bytes | None:
    """The embedded file's bytes, refused before they are copied when past the budget."""
    length = ctypes.c_ulong(0)
    if not pdfium_c.FPDFAttachment_GetFile(attachment, None, 0, ctypes.byref(length)):
        return None
    if length.value > budget:
        raise ExtractionFailed(Reason.TOO_LARGE, f"an embedded file of {length.value:,} bytes")
    buffer = ctypes.create_string_buffer(length.value)
    if not pdfium_c.FPDFAttachment_GetFile(attachment, buffer, length.value, ctypes.byref(length)):
        return None
    return buffer.raw[: length.value]


def form_fields_text(path: Path) -> str:
    """`name: value` for each filled field of the PDF's AcroForm, in the form's order."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        fields = PdfReader(path).get_fields() or {}
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        # The pages' text is read already; a form tree pypdf cannot walk only loses the answers.
        log.info("pdf.form_unreadable", error=type(exc).__name__)
        return ""
    lines = []
    for name, found in fields.items():
        value = _field_value(found.get("/V"))
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _field_value(value: Any) -> str:
    """A field's value as words: text as it is, a choice's names joined, a ticked box's state
    name without its slash (`/Yes` -> Yes); an unticked box (`/Off`) is no answer."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(filter(None, (_field_value(item) for item in value)))
    text = str(value).strip()
    if text.startswith("/"):
        text = text[1:]
        return "" if text == "Off" else text
    return text
