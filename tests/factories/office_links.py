"""Office documents that try to pull other content in when LibreOffice opens them: linked
sections, linked images, INCLUDETEXT / INCLUDEPICTURE fields, external relationships, Calc's
WEBSERVICE, external references, sheet links and DDE, and a Basic macro bound to the load event.

OpenDocument files are written with stdlib zipfile from the ODF 1.2 schema's own elements (the
format is documented, and LibreOffice's own export keeps such links as links); DOCX with
python-docx, its XML then given the field codes and external relationship Word writes. Each
target (a local file, a URL) is given by the caller, who puts a secret there.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from lxml import etree
from PIL import Image

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:ooo="http://openoffice.org/2004/office"'
)
TEXT_MIME = "application/vnd.oasis.opendocument.text"
SHEET_MIME = "application/vnd.oasis.opendocument.spreadsheet"
VISIBLE = "Visible case note."


def file_url(path: Path) -> str:
    return path.resolve().as_uri()


def _package(path: Path, mime: str, body: str, extra: dict[str, str] | None = None) -> Path:
    """An ODF package: mimetype stored first, a manifest naming every part, content.xml."""
    kind = "text" if mime == TEXT_MIME else "spreadsheet"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS} '
        f'office:version="1.2">{body.replace("@KIND@", kind)}</office:document-content>'
    )
    parts = {"content.xml": content, **(extra or {})}
    entries = "".join(
        f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
        for name in parts
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/>'
        f"{entries}</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
        package.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        for name, text in parts.items():
            package.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _text(path: Path, inner: str, scripts: str = "", extra: dict[str, str] | None = None) -> Path:
    text = f"<office:text><text:p>{VISIBLE}</text:p>{inner}</office:text>"
    body = f"{scripts}<office:body>{text}</office:body>"
    return _package(path, TEXT_MIME, body, extra)


def linked_section(path: Path, target: str, filter_name: str = "Text") -> Path:
    """A section whose content is another file's (ODF's text:section-source): LibreOffice
    re-reads the target when it updates links."""
    source = (
        f'<text:section-source xlink:type="simple" xlink:href={quoteattr(target)} '
        f'text:filter-name="{filter_name}"/>'
    )
    inner = f'<text:section text:name="Linked">{source}<text:p>placeholder</text:p></text:section>'
    return _text(path, inner)


def linked_image(path: Path, target: str) -> Path:
    """A picture that is a link to `target`, not embedded."""
    inner = (
        '<text:p><draw:frame draw:name="Picture" text:anchor-type="as-char" '
        'svg:width="8cm" svg:height="2cm">'
        f'<draw:image xlink:type="simple" xlink:href={quoteattr(target)} '
        'xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>'
    )
    return _text(path, inner)


def macro_on_load(path: Path, marker: Path) -> Path:
    """A StarBasic library in the document and the document's load event bound to it: the
    macro writes `marker`."""
    module = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" '
        '"module.dtd">\n'
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
        'script:language="StarBasic">Sub Main\n'
        f'  Open "{marker}" For Output As #1\n  Print #1, "ran"\n  Close #1\nEnd Sub\n'
        "</script:module>"
    )
    libraries = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" '
        '"libraries.dtd">\n'
        '<library:libraries xmlns:library="http://openoffice.org/2000/library" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<library:library library:name="Standard" library:link="false"/></library:libraries>'
    )
    library = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" '
        '"library.dtd">\n'
        '<library:library xmlns:library="http://openoffice.org/2000/library" '
        'library:name="Standard" library:readonly="false" library:passwordprotected="false">'
        '<library:element library:name="Module1"/></library:library>'
    )
    event = (
        "<office:scripts><office:event-listeners>"
        '<script:event-listener script:language="ooo:script" script:event-name="dom:load" '
        'xlink:type="simple" xlink:href="vnd.sun.star.script:Standard.Module1.Main'
        '?language=Basic&amp;location=document"/>'
        "</office:event-listeners></office:scripts>"
    )
    extra = {
        "Basic/script-lc.xml": libraries,
        "Basic/Standard/script-lb.xml": library,
        "Basic/Standard/Module1.xml": module,
    }
    return _text(path, "", scripts=event, extra=extra)


def _cell(formula: str, cached: str) -> str:
    return (
        f"<table:table-cell table:formula={quoteattr('of:=' + formula)} "
        f'office:value-type="string" office:string-value="{cached}">'
        f"<text:p>{cached}</text:p></table:table-cell>"
    )


def _sheet(path: Path, tables: str) -> Path:
    body = f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
    return _package(path, SHEET_MIME, body)


def formula_sheet(path: Path, formula: str, cached: str = "cached") -> Path:
    """One sheet: a label, then a cell with `formula` (OpenFormula) and its cached value."""
    row = (
        f'<table:table-row><table:table-cell office:value-type="string">'
        f"<text:p>{VISIBLE}</text:p></table:table-cell>{_cell(formula, cached)}</table:table-row>"
    )
    return _sheet(path, f'<table:table table:name="Notes">{row}</table:table>')


def sheet_link(path: Path, target: str, sheet: str = "Sheet1") -> Path:
    """A sheet whose content is linked from another spreadsheet (table:table-source)."""
    table = (
        '<table:table table:name="Linked">'
        f'<table:table-source xlink:type="simple" xlink:href={quoteattr(target)} '
        f'table:table-name="{sheet}" table:mode="copy-all"/>'
        '<table:table-row><table:table-cell office:value-type="string">'
        "<text:p>placeholder</text:p></table:table-cell></table:table-row></table:table>"
    )
    notes = (
        '<table:table table:name="Notes"><table:table-row>'
        f'<table:table-cell office:value-type="string"><text:p>{VISIBLE}</text:p>'
        "</table:table-cell></table:table-row></table:table>"
    )
    return _sheet(path, notes + table)


def docx_with_fields(path: Path, fields: list[str]) -> Path:
    """A DOCX whose paragraphs are Word fields (`INCLUDETEXT "..."`, `INCLUDEPICTURE "..." \\d`),
    each with the placeholder result Word keeps between its separate and end marks."""
    document = docx.Document()
    document.add_paragraph(VISIBLE)
    for code in fields:
        paragraph = document.add_paragraph()
        for kind, value in (
            ("begin", ""),
            ("instr", code),
            ("separate", ""),
            ("text", "placeholder"),
            ("end", ""),
        ):
            run = paragraph.add_run()
            if kind == "instr":
                instr = etree.SubElement(run._r, qn("w:instrText"))
                instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                instr.text = f" {value} "
            elif kind == "text":
                run.text = value
            else:
                etree.SubElement(run._r, qn("w:fldChar")).set(qn("w:fldCharType"), kind)
    document.save(str(path))
    return path


def docx_with_external_image(path: Path, target: str) -> Path:
    """A DOCX picture whose blip is an external relationship (TargetMode="External", r:link)
    to `target` instead of an embedded part."""
    document = docx.Document()
    document.add_paragraph(VISIBLE)
    png = io.BytesIO()
    Image.new("RGB", (40, 10), "white").save(png, "PNG")
    png.seek(0)
    document.add_paragraph().add_run().add_picture(png)
    external = document.part.relate_to(target, RELATIONSHIP_TYPE.IMAGE, is_external=True)
    for blip in document.element.body.iter(qn("a:blip")):
        del blip.attrib[qn("r:embed")]
        blip.set(qn("r:link"), external)
    document.save(str(path))
    return path


def secret_svg(path: Path, secret: str) -> Path:
    """An SVG drawing of `secret` as text: a rendition that embeds it carries the words."""
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60">'
        f'<text x="5" y="40" font-size="30">{secret}</text></svg>'
    )
    return path
