"""The text layers of a PDF's pages, read through PDFium's C API (pypdfium2.raw).

pypdfium2's helper objects (a document, and a page and a text page per page, each with a
finalizer) cost 8% of a born-digital letter's extraction: 1.335 against 1.221 ms a document
(min of 14 alternations), the same text on 464 PDFs (docs/decisions/0015). OCR still renders
pages through the helpers (workers.extract.pdf): there Tesseract's seconds dwarf them.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pypdfium2.raw as pdfium_c

from core.states import Reason
from workers.extract.failures import ExtractionFailed

# PDFium's FPDF_ERR_PASSWORD: the empty user password (tried on open) did not unlock the file.
ERR_PASSWORD = 4
# PDFium marks a word broken by a hyphen at a line's end with U+FFFE: a hyphen it was.
_BROKEN_WORD = "\ufffe"
# A letter-sized file is handed over whole (5% less time than PDFium reading it by path); a big
# one is read by PDFium as it needs it, so the sandbox's memory limit is not spent on the file.
_READ_WHOLE_MAX_BYTES = 8 * 2**20
# Text buffers (_buffer): the first a thread makes, and the largest it keeps (256 KiB).
_FIRST_UNITS = 4096
_REUSED_UNITS = 2**17
_reused = threading.local()


def layer_texts(
    path: Path,
    first: int,
    last: int | None,
    also: Callable[[pdfium_c.FPDF_DOCUMENT, Path, bytes | None], None] | None = None,
) -> tuple[int, dict[int, str]]:
    """The document's page count, and the text layer of pages first..last (1-based; last None:
    to the end). Raises ExtractionFailed for a file PDFium cannot open or a page it cannot load.
    `also`: called with the open document (and the file's bytes, when read whole), to read what
    else it holds (workers.extract.pdf_extras).
    """
    data = _whole_file(path)
    if data is not None:  # `data` outlives the document: PDFium reads it until it is closed
        document = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    else:
        document = pdfium_c.FPDF_LoadDocument((str(path) + "\x00").encode("utf-8"), None)
    try:
        # As pypdfium2 checks it: a document without pages did not load.
        count = pdfium_c.FPDF_GetPageCount(document)
        if count < 1:
            code = pdfium_c.FPDF_GetLastError()
            if code == ERR_PASSWORD:
                raise ExtractionFailed(Reason.ENCRYPTED, "needs a password")
            raise ExtractionFailed(Reason.CORRUPT, f"PDFium could not load it (error {code})")
        last = count if last is None else min(last, count)
        if not 1 <= first <= last:
            raise ExtractionFailed(Reason.CORRUPT, f"no pages {first}-{last} in {count} pages")
        texts = {number: _page_text(document, number) for number in range(first, last + 1)}
        if also is not None:
            also(document, path, data)
    finally:
        if document:
            pdfium_c.FPDF_CloseDocument(document)
    return count, texts


def _whole_file(path: Path) -> bytes | None:
    """The file's bytes where it is letter-sized, else None. One unbuffered open sized by its
    fstat: a stat and then read_bytes' buffered open cost 16 us a letter, this 12."""
    with open(path, "rb", buffering=0) as handle:
        if os.fstat(handle.fileno()).st_size > _READ_WHOLE_MAX_BYTES:
            return None
        return handle.read()


def _page_text(document: pdfium_c.FPDF_DOCUMENT, number: int) -> str:
    page = pdfium_c.FPDF_LoadPage(document, number - 1)
    if not page:
        raise ExtractionFailed(Reason.CORRUPT, f"page {number} could not be loaded")
    try:
        textpage = pdfium_c.FPDFText_LoadPage(page)
        if not textpage:
            raise ExtractionFailed(Reason.CORRUPT, f"page {number}'s text could not be loaded")
        try:
            return _all_text(textpage).replace(_BROKEN_WORD, "-")
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
    finally:
        pdfium_c.FPDF_ClosePage(page)


def _all_text(textpage: pdfium_c.FPDF_TEXTPAGE) -> str:
    """The page's whole text, as pypdfium2's PdfTextPage.get_text_range() reads it: characters
    PDFium leaves out at either end are trimmed from the range first, since FPDFText_GetText can
    read past a range that ends on one (pypdfium2 issue 261, crbug.com/pdfium/2079)."""
    chars = pdfium_c.FPDFText_CountChars(textpage)
    if chars < 0:
        raise ExtractionFailed(Reason.CORRUPT, "the page's characters could not be counted")
    start, first = _counted(textpage, range(chars))
    if start < 0:
        return ""
    end, last = _counted(textpage, range(chars - 1, start - 1, -1))  # finds `start` at worst
    size = last + 2 - first  # text units, with the NUL PDFium writes after them
    buffer = _buffer(size)
    written = pdfium_c.FPDFText_GetText(textpage, start, end + 1 - start, buffer)
    if written > size:  # past the buffer: this PDFium cannot be trusted with the file
        raise ExtractionFailed(Reason.CORRUPT, "the page's text overran its buffer")
    if written <= 0:
        return ""
    return bytes(memoryview(buffer)[: written - 1]).decode("utf-16-le", errors="ignore")


def _buffer(size: int) -> ctypes.Array[ctypes.c_ushort]:
    """A zeroed buffer of at least `size` text units. A ctypes array of a length not made before
    is a new type, 12 us to make and kept for the process's life, and pages' text lengths rarely
    repeat (1,535 lengths in one child's 11,262 pages of the realistic corpus): the thread's
    buffer is reused, grown by doubling, up to _REUSED_UNITS. Per thread: ctypes lets go of the
    GIL while PDFium writes in it."""
    if size > _REUSED_UNITS:
        return (ctypes.c_ushort * size)()
    buffer: ctypes.Array[ctypes.c_ushort] | None = getattr(_reused, "buffer", None)
    if buffer is None or len(buffer) < size:
        length = _FIRST_UNITS
        while length < size:
            length *= 2
        buffer = _reused.buffer = (ctypes.c_ushort * length)()
    else:  # as fresh: what PDFium does not write reads as it did in a new buffer
        ctypes.memset(buffer, 0, 2 * size)
    return buffer


def _counted(textpage: pdfium_c.FPDF_TEXTPAGE, chars: range) -> tuple[int, int]:
    """The first of `chars` that PDFium counts in the page's text, with its text index; (-1, -1)
    where it counts none of them."""
    for char in chars:
        index = pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage, char)
        if index != -1:
            return char, index
    return -1, -1
