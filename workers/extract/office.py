"""Word processor files: DOCX (python-docx), ODT (content.xml, parsed defensively) and RTF."""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.package import Package
from docx.parts.document import DocumentPart
from lxml import etree
from striprtf.striprtf import rtf_to_text

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed, check_unpacked_size

_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_BLOCKS = {f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h"}
_ODF_SPACES = {f"{{{_ODF_TEXT}}}s": " ", f"{{{_ODF_TEXT}}}tab": "\t"}
_ODF_BREAK = f"{{{_ODF_TEXT}}}line-break"

# python-docx opens only a plain document's main part; a macro-enabled document (.docm, which
# libmagic names as DOCX) and templates hold the same WordprocessingML under other content types.
for _content_type in (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
):
    PartFactory.part_type_for.setdefault(_content_type, DocumentPart)


def guard_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    """Open a zip container, refusing it when its members declare more than the unpacked limit.

    Declared sizes can be trusted as a bound: zipfile stops reading a member at its declared
    size (and fails its CRC check) however much more the compressed data would inflate to.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ExtractionFailed(Reason.CORRUPT, f"bad zip: {exc}"[:200]) from exc
    declared = sum(info.file_size for info in archive.infolist())
    try:
        check_unpacked_size(declared, limits.max_unpacked_mb * 2**20)
    except ExtractionFailed:
        archive.close()
        raise
    return archive


def extract_docx(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Paragraphs, then table cells, then text boxes, headers and footers, footnotes, endnotes
    and comments of a DOCX. One python-docx cannot open (Strict OOXML, as mammoth's tests
    have) is read by LibreOffice next (the registry's `otherwise`)."""
    guard_zip(path, limits).close()
    part = Package.open(str(path)).main_document_part
    if not isinstance(part, DocumentPart):
        raise ExtractionFailed(Reason.CORRUPT, f"not a Word document: {part.content_type}"[:200])
    document = part.document
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts.extend(_table_lines(document))
    parts.extend(_text_box_lines(document.element))
    parts.extend(_side_part_lines(part))
    return ExtractionResult(ok=True, text="\n".join(parts), pages=1, engine="docx")


# WordprocessingML's names, for what python-docx's paragraphs leave out.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Parts beside the body whose words are the document's too, in reading order.
_SIDE_PARTS = (RT.HEADER, RT.FOOTER, RT.FOOTNOTES, RT.ENDNOTES, RT.COMMENTS)


def _text_box_lines(body: etree._Element) -> list[str]:
    """Paragraphs in text boxes and shapes (forms put their labels in them; mammoth's
    text-box.docx had no text). A box is written twice, as a DrawingML shape and a VML
    fallback for old readers: the fallback's copy is skipped."""
    lines = []
    for box in body.iter(f"{_W}txbxContent"):
        if any(ancestor.tag == _FALLBACK for ancestor in box.iterancestors()):
            continue
        lines.extend(_w_paragraphs(box))
    return lines


def _side_part_lines(main: DocumentPart) -> list[str]:
    """Headers, footers, footnotes, endnotes and comments, each part once (sections share
    headers), blank paragraphs left out."""
    lines: list[str] = []
    seen: set[str] = set()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for reltype in _SIDE_PARTS:
        for relationship in main.rels.values():
            if relationship.reltype != reltype or relationship.is_external:
                continue
            side = relationship.target_part
            if str(side.partname) in seen:
                continue
            seen.add(str(side.partname))
            try:
                root = etree.fromstring(side.blob, parser=parser)
            except etree.XMLSyntaxError:
                continue  # a damaged footnotes part does not cost the document its body
            lines.extend(line for line in _w_paragraphs(root) if line.strip())
    return lines


def _w_paragraphs(element: etree._Element) -> list[str]:
    """The text of each outermost paragraph under `element` (tabs and breaks as such)."""
    lines = []
    for paragraph in element.iter(f"{_W}p"):
        if _inside_paragraph(paragraph, element):
            continue  # a text box's paragraphs inside a paragraph: read on their own
        out = []
        for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
            if any(ancestor.tag == _FALLBACK for ancestor in node.iterancestors()):
                continue  # the VML copy of a text box read from its DrawingML shape
            if node.tag == f"{_W}t":
                out.append(node.text or "")
            elif node.tag == f"{_W}tab":
                out.append("\t")
            elif node.tag == f"{_W}br":
                out.append("\n")
        lines.append("".join(out))
    return lines


def _inside_paragraph(paragraph: etree._Element, top: etree._Element) -> bool:
    """Whether `paragraph` sits in another paragraph below `top`."""
    for ancestor in paragraph.iterancestors():
        if ancestor is top:
            return False
        if ancestor.tag == f"{_W}p":
            return True
    return False


def _table_lines(document: Document) -> list[str]:
    lines = []
    for table in document.tables:
        for row in table.rows:
            # Merged cells repeat across the row; keep each distinct cell once.
            cells = list(dict.fromkeys(cell.text for cell in row.cells))
            lines.append("\t".join(cells))
    return lines


def extract_odt(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Paragraphs and headings of an ODT's content.xml."""
    with guard_zip(path, limits) as archive:
        try:
            content = archive.read("content.xml")
        except KeyError as exc:
            raise ExtractionFailed(Reason.CORRUPT, "no content.xml") from exc
    # No DTD, no entity expansion, no network: content.xml is untrusted XML.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(content, parser=parser)
    blocks = [odf_text(element) for element in root.iter(*_ODF_BLOCKS)]
    return ExtractionResult(ok=True, text="\n".join(blocks), pages=1, engine="odt")


def odf_text(element: etree._Element) -> str:
    """Text of one paragraph, with ODF's space, tab and line-break elements put back."""
    out = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag in _ODF_SPACES:
            count = int(child.get(f"{{{_ODF_TEXT}}}c", "1")) if tag.endswith("}s") else 1
            out.append(_ODF_SPACES[tag] * min(count, 1000))
        elif tag == _ODF_BREAK:
            out.append("\n")
        elif (
            isinstance(tag, str) and tag not in _ODF_BLOCKS
        ):  # nested paragraphs (in frames) come up on their own
            out.append(odf_text(child))
        out.append(child.tail or "")
    return "".join(out)


def extract_rtf(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Text of an RTF file. RTF is 7-bit; \\'xx escapes are read as Windows-1252."""
    raw = path.read_bytes()[: limits.max_text_chars * 4].decode("latin-1")
    text: str = rtf_to_text(raw, encoding="cp1252", errors="replace")  # type: ignore[no-untyped-call]
    return ExtractionResult(ok=True, text=joined_surrogates(text), pages=1, engine="rtf")


def joined_surrogates(text: str) -> str:
    """`text` with UTF-16 surrogate pairs joined into their characters and lone surrogates
    replaced (U+FFFD). RTF writes a character past U+FFFF as two \\uN escapes (Word and
    LibreOffice both do), which striprtf turns into two surrogates that no encoder accepts."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
