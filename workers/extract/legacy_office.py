"""Office formats read through LibreOffice (Word 97-2003, Works, WordPerfect, StarOffice, Excel,
PowerPoint, Visio, Pages, OOXML spreadsheets and presentations), and OpenDocument spreadsheets,
presentations and drawings read directly.

LibreOffice converts a file to the OpenDocument format of its own family (workers/convert), and
its content.xml is read here like any ODF file, each spreadsheet's sheets under their names.
Encryption is checked first, from the file's own structure: LibreOffice only says it could not
open such a file.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import olefile
from lxml import etree

from core.states import Reason
from workers.convert.libreoffice import convert_to_odf
from workers.extract.base import ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.office import guard_zip, odf_text
from workers.extract.registry import ENCRYPTED_MIME
from workers.filetype import detect

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_BLOCKS = (f"{{{_TEXT}}}p", f"{{{_TEXT}}}h")
_SHEET = f"{{{_TABLE}}}table"
_ROW = f"{{{_TABLE}}}table-row"
_CELL = (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell")
_PAGE = f"{{{_DRAW}}}page"
_OBJECT = f"{{{_DRAW}}}object"
_HREF = "{http://www.w3.org/1999/xlink}href"
_VALUE_TYPE = f"{{{_OFFICE}}}value-type"
_NUMBERS = {"float", "percentage", "currency"}  # a chart's data cells
# libmagic's type for an encrypted Office file (one definition, in the registry).
ENCRYPTED = ENCRYPTED_MIME
# Word's File Information Block flags (at 0x0A of the WordDocument stream): fEncrypted.
_WORD_ENCRYPTED = 0x0100
# BIFF8 record types: a FILEPASS record follows the workbook's BOF when it has a password.
_BIFF_BOF, _BIFF_FILEPASS = 0x0809, 0x002F


def extract_office(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Text of any document LibreOffice reads, through its OpenDocument conversion."""
    refuse_encrypted(path)
    mime = detect(path).mime
    if mime == ENCRYPTED:
        raise ExtractionFailed(Reason.ENCRYPTED, "encrypted file (libmagic)")
    guess = _family_guess(mime)
    converted = convert_to_odf(path, Path(tmp_dir) / "converted", limits, guess)
    result = read_odf(converted, limits)
    result.engine = "libreoffice"
    return result


# The OpenDocument format to ask LibreOffice for first, by words in the MIME type (a text
# document otherwise): a right guess saves it loading the file twice.
_FAMILY_WORDS = (
    (("excel", "calc", "sheet", "numbers"), "ods"),
    (("powerpoint", "impress", "presentation", "keynote"), "odp"),
    (("visio", "draw"), "odg"),
)


def _family_guess(mime: str) -> str:
    for words, family in _FAMILY_WORDS:
        if any(word in mime for word in words):
            return family
    return "odt"


def extract_opendocument(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Text of an OpenDocument spreadsheet, presentation or drawing, read directly."""
    return read_odf(path, limits)


def read_odf(path: Path, limits: Limits) -> ExtractionResult:
    """The text of an ODF package: a text's paragraphs, a spreadsheet's sheets (each under its
    name, a line a row, cells by tabs), a presentation's or drawing's pages (notes included)."""
    with guard_zip(path, limits) as archive:
        names = set(archive.namelist())
        if "META-INF/manifest.xml" in names and _odf_encrypted(archive):
            raise ExtractionFailed(Reason.ENCRYPTED, "encrypted OpenDocument file")
        try:
            content = archive.read("content.xml")
        except KeyError as exc:
            raise ExtractionFailed(Reason.CORRUPT, "no content.xml") from exc
        meta = archive.read("meta.xml") if "meta.xml" in names else b""
        objects = {
            name.removesuffix("/content.xml"): archive.read(name)
            for name in names
            if name.endswith("/content.xml") and name.count("/") == 1
        }
    root = etree.fromstring(content, parser=_parser())
    body = root.find(f"{{{_OFFICE}}}body")
    if body is None or len(body) == 0:
        raise ExtractionFailed(Reason.CORRUPT, "content.xml has no body")
    kind = etree.QName(body[0]).localname
    if kind == "spreadsheet":
        sheets = body[0].findall(_SHEET)
        return ExtractionResult(
            ok=True, text="\n".join(_sheet_lines(sheets)), pages=len(sheets), engine="odf"
        )
    if kind in {"presentation", "drawing"}:
        pages = body[0].findall(_PAGE)
        text = "\n\n".join(
            "\n".join(_blocks(page) + _object_lines(page, objects)) for page in pages
        )
        return ExtractionResult(ok=True, text=text, pages=len(pages), engine="odf")
    lines = _blocks(body[0]) + _object_lines(body[0], objects)
    return ExtractionResult(ok=True, text="\n".join(lines), pages=_page_count(meta), engine="odf")


def _object_lines(element: etree._Element, objects: dict[str, bytes]) -> list[str]:
    """The words of the objects embedded in `element` (each its own content.xml in the
    package): a chart's title, axis titles, series and category names, not its numbers.
    python-pptx's chart samples had no text without them."""
    lines = []
    for embedded in element.iter(_OBJECT):
        href = embedded.get(_HREF, "").removeprefix("./").rstrip("/")
        content = objects.get(href)
        if content is None:
            continue
        try:
            root = etree.fromstring(content, parser=_parser())
        except etree.XMLSyntaxError:
            continue  # a damaged chart does not cost the document its text
        for block in root.iter(*_BLOCKS):
            cell = block.getparent()
            if cell is not None and cell.get(_VALUE_TYPE) in _NUMBERS:
                continue
            text = odf_text(block).strip()
            if any(char.isalnum() for char in text):
                lines.append(text)
    return lines


def _parser() -> etree.XMLParser:
    # No DTD, no entity expansion, no network: content.xml is untrusted XML.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _blocks(element: etree._Element) -> list[str]:
    """Paragraphs and headings under `element`, outermost only (odf_text reads nested ones)."""
    lines = []
    for block in element.iter(*_BLOCKS):
        parent = block.getparent()
        nested = False
        while parent is not None and parent is not element:
            if parent.tag in _BLOCKS:
                nested = True
                break
            parent = parent.getparent()
        if not nested:
            lines.append(odf_text(block))
    return lines


def _sheet_lines(sheets: list[etree._Element]) -> list[str]:
    lines = []
    for sheet in sheets:
        lines.append(sheet.get(f"{{{_TABLE}}}name", ""))
        for row in sheet.iter(_ROW):
            cells = [" ".join(_blocks(cell)) for cell in row if cell.tag in _CELL]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                lines.append("\t".join(cells))
    return lines


def _page_count(meta: bytes) -> int:
    """The page count LibreOffice recorded in meta.xml (1 when it did not)."""
    if not meta:
        return 1
    try:
        statistic = etree.fromstring(meta, parser=_parser()).find(
            f".//{{{_META}}}document-statistic"
        )
        pages = statistic.get(f"{{{_META}}}page-count") if statistic is not None else None
        return max(1, int(pages)) if pages else 1
    except (etree.XMLSyntaxError, ValueError):
        return 1


def _odf_encrypted(archive: zipfile.ZipFile) -> bool:
    """Whether the manifest declares encrypted members (a password-protected ODF file)."""
    return b"encryption-data" in archive.read("META-INF/manifest.xml")


def refuse_encrypted(path: Path) -> None:
    """ENCRYPTED for a password-protected OLE file: OOXML in an encrypted package, a Word or
    Excel 97-2003 file with its encryption flag or record, a PowerPoint with encrypted summary."""
    with path.open("rb") as handle:
        if handle.read(8) != olefile.MAGIC:
            return
    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, struct.error):
        return  # LibreOffice has its own go, and says what it makes of the file
    with ole:
        if ole.exists("EncryptedPackage") or ole.exists("EncryptedSummary"):
            raise ExtractionFailed(Reason.ENCRYPTED, "password-protected Office file")
        if ole.exists("WordDocument"):
            fib = ole.openstream("WordDocument").read(12)
            if len(fib) == 12 and struct.unpack_from("<H", fib, 10)[0] & _WORD_ENCRYPTED:
                raise ExtractionFailed(Reason.ENCRYPTED, "password-protected Word document")
        for stream in ("Workbook", "Book"):
            if ole.exists(stream) and _biff_has_password(ole.openstream(stream).read(4096)):
                raise ExtractionFailed(Reason.ENCRYPTED, "password-protected Excel workbook")


def _biff_has_password(head: bytes) -> bool:
    """Whether the workbook globals open with BOF then FILEPASS (the first few records)."""
    offset = 0
    for _ in range(8):
        if offset + 4 > len(head):
            return False
        kind, size = struct.unpack_from("<HH", head, offset)
        if kind == _BIFF_FILEPASS:
            return True
        if offset == 0 and kind != _BIFF_BOF:
            return False
        offset += 4 + size
    return False
