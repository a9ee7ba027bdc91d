"""File writers for the synthetic archive: each returns the exact bytes of one legacy file.

Every writer is deterministic: creation dates, PDF IDs, zip timestamps, MIME boundaries and
message IDs are fixed, so one seed always gives byte-identical files (and stable sha256 values).
"""

from __future__ import annotations

import html
import io
import random
import textwrap
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.charset import QP, Charset
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from functools import lru_cache
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from workers.synth.text import PAGE_BREAK

PAGE_PX = (1240, 1754)  # A4 at 150 dpi, the resolution councils' bulk scanners used
_ZIP_TIME = (2010, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class TextDoc:
    """What a born-digital document says, whatever its format."""

    title: str
    header: list[str]  # short "Label: value" lines under the title
    paragraphs: list[str]
    created: date
    author: str


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1 only; curly quotes and dashes become their plain forms.
    table = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
    return text.translate(table).encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(doc: TextDoc, *, user_password: str | None = None) -> bytes:
    """A born-digital PDF in Helvetica with a text layer; encrypted when a password is given."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(_stamp(doc.created))
    pdf.set_author(doc.author)
    pdf.set_title(_latin1(doc.title))
    if user_password is not None:
        # RC4 (fpdf2's default) takes no random salt, unlike AES, so the bytes stay stable.
        pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.text(20, 22, _latin1(doc.title))
    pdf.set_font("Helvetica", size=11)
    y = 34.0
    # textwrap + text() instead of multi_cell(): about 30 times faster, which matters at 10k docs.
    lines = [*doc.header, ""]
    for para in doc.paragraphs:
        lines += [para] if para == PAGE_BREAK else [*textwrap.wrap(_latin1(para), 92), ""]
    blank = False  # nothing written on this page yet: a break or a spill starts no new one
    for line in lines:
        if line == PAGE_BREAK:
            if not blank:
                pdf.add_page()
                y, blank = 20.0, True
            continue
        if line and y > 280:
            pdf.add_page()
            y = 20.0
        if line:
            pdf.text(20, y, line)
            blank = False
        y += 5.5
    return bytes(pdf.output())


def _render_page(lines: list[str], big: str | None) -> Image.Image:
    img = Image.new("L", PAGE_PX, 255)
    draw = ImageDraw.Draw(img)
    # Pillow's bundled font: no system fonts needed, and tesseract reads it reliably at this size.
    font = ImageFont.load_default(size=40)
    y = 150
    for line in lines:
        draw.text((120, y), line, font=font, fill=0)
        y += 90
    if big:
        draw.text((120, y + 40), big, font=ImageFont.load_default(size=64), fill=0)
    return img


def scan_images(pages: list[tuple[list[str], str | None]]) -> list[Image.Image]:
    """Render scan pages: each is (text lines, a large uppercase line or None)."""
    return [_render_page(lines, big) for lines, big in pages]


def scan_pdf_bytes(images: list[Image.Image], created: date) -> bytes:
    """An image-only PDF, as a scanner makes it: no text layer at all."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(_stamp(created))
    for img in images:
        pdf.add_page()
        # JPEG data is embedded as is (DCTDecode), like scanner output, and ~40x faster than
        # letting fpdf2 re-encode the raw pixels.
        pdf.image(io.BytesIO(jpeg_bytes(img)), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def _bilevel(image: Image.Image) -> Image.Image:
    # A threshold, as a fax or mono scanner does; dithering would fuzz the glyph edges.
    return image.convert("1", dither=Image.Dither.NONE)


def tiff_bytes(images: list[Image.Image]) -> bytes:
    """A bilevel CCITT G4 TIFF, the fax format, multi-page when several images are given."""
    out = io.BytesIO()
    first, *rest = [_bilevel(i) for i in images]
    first.save(out, "TIFF", compression="group4", dpi=(150, 150), save_all=True, append_images=rest)
    return out.getvalue()


def jpeg_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, dpi=(150, 150))
    return out.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    _bilevel(image).save(out, "PNG", dpi=(150, 150))
    return out.getvalue()


_MARK = "@@SYNTH@@"
_MARK_DAY = datetime(2001, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1)
def _docx_template() -> tuple[bytes, str, str]:
    """(zip of python-docx's static parts, document.xml and core.xml with markers).

    python-docx takes ~50 ms a document, mostly re-reading and re-compressing 800 KB of styles;
    building the package once and adding only the two parts that differ is ~20 times faster.
    """
    document = Document()
    props = document.core_properties
    props.author = props.last_modified_by = props.title = _MARK
    props.comments = ""
    props.created = props.modified = _MARK_DAY
    document.add_paragraph(_MARK)
    raw = io.BytesIO()
    document.save(raw)
    static = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(static, "w") as dst:
        for item in src.infolist():
            if item.filename not in ("word/document.xml", "docProps/core.xml"):
                _put(dst, item.filename, src.read(item))
        body = src.read("word/document.xml").decode("utf-8")
        core = src.read("docProps/core.xml").decode("utf-8")
    return static.getvalue(), body, core


def _put(zf: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    # A fixed timestamp: python-docx would stamp every entry with the current time.
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _w_p(text: str, style: str = "") -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r></w:p>'


def docx_bytes(doc: TextDoc) -> bytes:
    """A Word document on python-docx's default template, with fixed zip timestamps."""
    static, body, core = _docx_template()
    paragraphs = [_w_p(doc.title, "Heading1")]
    paragraphs += [_w_p(line) for line in [*doc.header, *doc.paragraphs]]
    marker = _w_p(_MARK).replace(' xml:space="preserve"', "")
    stamp = _stamp(doc.created).strftime("%Y-%m-%dT%H:%M:%SZ")
    core_xml = core.replace(_MARK_DAY.strftime("%Y-%m-%dT%H:%M:%SZ"), stamp)
    core_xml = core_xml.replace(f"<dc:title>{_MARK}", f"<dc:title>{xml_escape(doc.title)}")
    core_xml = core_xml.replace(_MARK, xml_escape(doc.author))
    out = io.BytesIO(static)
    with zipfile.ZipFile(out, "a") as zf:
        _put(zf, "word/document.xml", body.replace(marker, "".join(paragraphs)))
        _put(zf, "docProps/core.xml", core_xml)
    return out.getvalue()


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            try:
                out.append(f"\\'{ch.encode('cp1252')[0]:02x}")
            except UnicodeEncodeError:
                out.append(f"\\u{ord(ch)}?")
    return "".join(out)


def rtf_bytes(doc: TextDoc) -> bytes:
    """Hand-written RTF 1.x as old word processors saved it (cp1252, \\'hh escapes)."""
    d = doc.created
    parts = [
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}",
        f"{{\\info{{\\title {_rtf_escape(doc.title)}}}{{\\author {_rtf_escape(doc.author)}}}"
        f"{{\\creatim\\yr{d.year}\\mo{d.month}\\dy{d.day}}}}}",
        f"\\f0\\fs28\\b {_rtf_escape(doc.title)}\\b0\\fs22\\par",
        *(f"{_rtf_escape(line)}\\par" for line in doc.header),
        *(f"\\par {_rtf_escape(para)}\\par" for para in doc.paragraphs),
        "}",
    ]
    return "\r\n".join(parts).encode("ascii")


def html_bytes(doc: TextDoc) -> bytes:
    """An HTML export page; the style block is there so extractors must skip it."""
    esc = html.escape
    body = "".join(f"<p>{esc(line)}</p>" for line in doc.header)
    body += "".join(f"<p>{esc(para)}</p>\n" for para in doc.paragraphs)
    page = (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{esc(doc.title)}</title><style>p {{ margin: 0 0 1em; }}</style></head>\n"
        f"<body><h1>{esc(doc.title)}</h1>\n{body}</body></html>\n"
    )
    return page.encode("utf-8")


def txt_bytes(doc: TextDoc, *, cp1252: bool) -> bytes:
    """Plain text; the cp1252 flavour has curly quotes and CRLF, as Windows Notepad left it."""
    lines = [doc.title, "", *doc.header, "", *(p + "\n" for p in doc.paragraphs)]
    text = "\n".join(lines)
    if not cp1252:
        return text.encode("utf-8")
    text = text.replace("'", "\u2019") + (
        "\nWorker\u2019s note: \u201cseen and well\u201d; bus fare of \u00a33.20 reimbursed.\n"
    )
    return text.replace("\n", "\r\n").encode("cp1252")


_QP_UTF8 = Charset("utf-8")
_QP_UTF8.body_encoding = QP  # as mail clients send it; base64 would hide the text from grep


def eml_bytes(
    doc: TextDoc, *, message_id: str, sender: str, to: str, attachment: tuple[str, bytes]
) -> bytes:
    """An RFC 5322 message with one attachment (a PDF or a text file)."""
    # The compat32 MIME classes: EmailMessage's header parsing costs ~10 ms a message.
    msg = MIMEMultipart(boundary=f"=_escr_{message_id}")  # the default boundary is random
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = doc.title
    msg["Date"] = format_datetime(_stamp(doc.created))
    msg["Message-ID"] = f"<{message_id}@synthshire.example>"
    body = MIMENonMultipart("text", "plain")
    body.set_payload("\n\n".join([*doc.header, *doc.paragraphs]) + "\n", _QP_UTF8)
    msg.attach(body)
    name, data = attachment
    if name.endswith(".pdf"):
        part: MIMEBase = MIMEApplication(data, "pdf")
    else:
        part = MIMEText(data.decode("utf-8"), "plain", "utf-8")
    part.add_header("Content-Disposition", "attachment", filename=name)
    msg.attach(part)
    return msg.as_bytes()


def mdb_bytes(rng: random.Random) -> bytes:
    """A file of a type escr does not read: an Access database's real header, then opaque
    binary. (It was a WordPerfect file until LibreOffice came to read those: issue 13.)"""
    return b"\x00\x01\x00\x00Standard Jet DB\x00" + rng.randbytes(2048)
