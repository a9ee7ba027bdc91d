"""Well-formed sample files and the hostile or defective files real archives contain.

Every builder writes into a directory the caller owns and returns the path. Builders are seeded
or deterministic, so a failing test can be rerun on the same bytes. The bombs are written
cheaply (streamed through zlib) so the factory itself stays inside a few seconds and megabytes.
"""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
import pypdf
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

_CHUNK = 16 * 2**20


# Well-formed files (also the raw material for the defective ones).


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A born-digital PDF with one page per line of text."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for line in lines:
        pdf.add_page()
        pdf.multi_cell(0, 10, text=line)
    path.write_bytes(bytes(pdf.output()))
    return path


def make_scanned_pdf(path: Path, word: str) -> Path:
    """A PDF whose only page is an image of `word`: no text layer, so it needs OCR."""
    image = make_text_image(word)
    pdf = FPDF(unit="pt", format=(image.width * 72 / 150, image.height * 72 / 150))
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
    path.write_bytes(bytes(pdf.output()))
    return path


def make_text_image(word: str, size: tuple[int, int] = (900, 200)) -> Image.Image:
    """A white greyscale image of `word` in large black type (Pillow's font, no system fonts)."""
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((40, 60), word, fill=0, font=ImageFont.load_default(size=64))
    return image


def make_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    document.save(str(path))
    return path


# Defective files.


def truncated_pdf(directory: Path, keep: float = 0.6) -> Path:
    """A born-digital PDF cut off part way, as from an interrupted copy."""
    source = make_pdf(directory / "whole.pdf", ["Truncated report page one", "Page two"])
    data = source.read_bytes()
    path = directory / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * keep)])
    source.unlink()
    return path


def fuzzed_pdf(directory: Path, seed: int, flips: int = 40) -> Path:
    """A born-digital PDF with `flips` random bytes overwritten (seeded)."""
    source = make_pdf(directory / f"clean-{seed}.pdf", ["Fuzzed assessment text", "Second page"])
    data = bytearray(source.read_bytes())
    source.unlink()
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path = directory / f"fuzzed-{seed}.pdf"
    path.write_bytes(bytes(data))
    return path


def encrypted_pdf(directory: Path, password: str = "s3cret") -> Path:
    """A PDF that needs a user password to open."""
    source = make_pdf(directory / "plain.pdf", ["Encrypted letter"])
    writer = pypdf.PdfWriter(clone_from=str(source))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    path = directory / "encrypted.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    source.unlink()
    return path


def _assemble_pdf(objects: list[bytes]) -> bytes:
    """Number `objects` from 1 and write them with a correct xref table; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def looping_pdf(directory: Path) -> Path:
    """A PDF whose page tree lists itself among its own Kids."""
    content = b"BT /F1 24 Tf 72 700 Td (Loop page) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path = directory / "loop.pdf"
    path.write_bytes(_assemble_pdf(objects))
    return path


def _zlib_spaces(size: int) -> bytes:
    """A zlib stream of `size` spaces (a multiple of 16 MiB), built in well under a second.

    Compressing gigabytes takes seconds, so one block is deflated once, ended with a full
    flush (which resets the dictionary, making its bytes reusable), and repeated.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b" " * _CHUNK) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    # Adler-32 of `size` copies of one byte value, in closed form.
    low = (1 + 0x20 * size) % 65521
    high = (size + 0x20 * size * (size + 1) // 2) % 65521
    return b"\x78\xda" + block * (size // _CHUNK) + final + struct.pack(">I", (high << 16) | low)


def flate_bomb_pdf(directory: Path, inflated_mb: int = 2048) -> Path:
    """A one-page PDF whose content stream is ~2 MB of Flate data that inflates to `inflated_mb`."""
    bomb = _zlib_spaces(inflated_mb * 2**20)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        _stream(bomb, b"/Filter /FlateDecode "),
    ]
    path = directory / "flate-bomb.pdf"
    path.write_bytes(_assemble_pdf(objects))
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def huge_png(directory: Path, side: int = 30_000) -> Path:
    """A valid 1-bit `side` x `side` PNG: ~100 kB on disk, `side`² pixels when decoded."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, _CHUNK // len(row))
    parts = []
    for start in range(0, side, rows_per_block):
        parts.append(compressor.compress(row * min(rows_per_block, side - start)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path = directory / "huge.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )
    return path


def zero_byte(directory: Path) -> Path:
    path = directory / "empty.pdf"
    path.write_bytes(b"")
    return path


def pdf_named_doc(directory: Path) -> Path:
    """A real PDF carrying a Word extension, as legacy exports often do."""
    return make_pdf(directory / "letter.doc", ["Misnamed letter text"])


XXE_TARGET = "/etc/passwd"


def xxe_html(directory: Path) -> Path:
    """HTML that declares an external entity pointing at a local file and a network URL."""
    path = directory / "xxe.html"
    path.write_text(
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{XXE_TARGET}">'
        '<!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>\n'
        "<html><body><p>Visit note &xxe; &net; ends here</p></body></html>\n",
        encoding="utf-8",
    )
    return path


def _spaces(total: int) -> Iterator[bytes]:
    block = b" " * _CHUNK
    for _ in range(total // _CHUNK):
        yield block


def zip_bomb_docx(directory: Path, inflated_mb: int = 512) -> Path:
    """A DOCX whose document.xml inflates to `inflated_mb` of whitespace (a ~2 MB file)."""
    source = make_docx(directory / "small.docx", ["Zip bomb body"])
    path = directory / "zip-bomb.docx"
    with (
        zipfile.ZipFile(source) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename != "word/document.xml":
                dst.writestr(info, data)
                continue
            head, _, tail = data.rpartition(b"</w:document>")
            with dst.open("word/document.xml", "w", force_zip64=True) as member:
                member.write(head)
                for block in _spaces(inflated_mb * 2**20):
                    member.write(block)
                member.write(b"</w:document>" + tail)
    source.unlink()
    return path
