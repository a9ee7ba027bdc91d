"""Text written in UTF-16 or UTF-32 (Windows' "Unicode" text, many exports), with and without a
byte-order mark: chardet's test suite has all twelve kinds, and libmagic named none of them
text (SubRip, "data", an Adobe colour swatch)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image

from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.filetype import EML, detect, wide_text_encoding
from workers.render.base import RenderRequest
from workers.render.registry import render_file

NOTE = (
    "Case note 14/03/2011\r\nVisited Mrs Agnes Thornbury at home with her grandson Daniel.\r\n"
    "She said the carer had not come on Tuesday or Wednesday.\r\n"
)
CSV = "DateTime,Worker,Outcome\r\n07/19/2015 21:00,Jones,seen\r\n07/20/2015 09:30,Patel,letter\r\n"
HTML = (
    "<html><head><title>Review</title></head><body><p>Review of Agnes Thornbury's care plan"
    " \U0001f4c4 agreed by the panel.</p></body></html>"
)
SUBTITLES = "1\n00:00:06,500 --> 00:00:09,000\nAgnes Thornbury spoke to the panel.\n\n"
CODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
BOMS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
BOMS |= {"utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}


def _write(path: Path, text: str, coding: str, bom: bool) -> Path:
    path.write_bytes((BOMS[coding] if bom else b"") + text.encode(coding))
    return path


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize(
    ("text", "word", "kinds"),
    [
        (NOTE, "grandson Daniel", ("text/plain",)),
        (CSV, "Patel", ("text/csv", "text/plain")),
        (HTML, "care plan", ("text/html",)),
        (SUBTITLES, "spoke to the panel", ("application/x-subrip", "text/plain")),
    ],
    ids=["note", "csv", "html", "subrip"],
)
def test_wide_text_is_typed_as_text_and_read(
    tmp_path: Path, coding: str, bom: bool, text: str, word: str, kinds: tuple[str, ...]
) -> None:
    path = _write(tmp_path / "note.txt", text, coding, bom)
    mime = detect(path).mime
    assert mime in kinds
    result = extract_file(str(path), mime, Limits(), str(tmp_path))
    assert result.ok and result.reason in ("", None), result
    assert word in result.text
    assert "\x00" not in result.text


@pytest.mark.parametrize("coding", CODINGS)
def test_wide_text_gets_a_rendition(tmp_path: Path, coding: str) -> None:
    path = _write(tmp_path / "subtitles.srt", SUBTITLES, coding, bom=True)
    out = tmp_path / "out.pdf"
    request = RenderRequest(
        path=str(path), mime=detect(path).mime, out_path=str(out), scratch=str(tmp_path)
    )
    result = render_file(request, Limits())
    assert result.ok, result
    assert out.read_bytes().startswith(b"%PDF")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("I;16", (64, 64), 0x2041).save(buffer, "PNG")  # 16-bit samples, 20 41 = " A"
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.txt", "A" * 300)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        _png(),
        _zip(),
        bytes(range(256)) * 16,  # every byte value: control characters in any wide reading
        b"\x00" * 4096,
        NOTE.encode("utf-8") * 20,  # no zero bytes: a one-byte coding or UTF-8
    ],
    ids=["png-16bit", "zip", "all-bytes", "zeros", "utf-8"],
)
def test_binary_and_narrow_text_are_not_taken_for_wide_text(data: bytes) -> None:
    assert wide_text_encoding(data) is None


def test_ascii_with_a_zero_between_letters_is_utf16() -> None:
    assert wide_text_encoding("Agnes Thornbury was visited.".encode("utf-16-be")) == "utf-16-be"
    assert wide_text_encoding("Agnes Thornbury was visited.".encode("utf-32-le")) == "utf-32-le"


def test_a_message_with_a_stray_zero_byte_is_still_an_email(tmp_path: Path) -> None:
    """mail-parser's mail_malformed_3 ends its base64 part with two zero bytes: libmagic
    says "data" for the whole file."""
    message = EmailMessage()
    message["From"] = "duty.team@example.gov.uk"
    message["To"] = "records@example.gov.uk"
    message["Subject"] = "Referral for Agnes Thornbury"
    message.set_content("Referral received from the GP surgery.")
    message.add_attachment(b"%PDF-1.4 referral", maintype="application", subtype="pdf")
    raw = message.as_bytes().replace(b"\n--", b"\x00\x00\n--", 1)
    path = tmp_path / "mail"
    path.write_bytes(raw)
    mime = detect(path).mime
    assert mime == EML
    result = extract_file(str(path), mime, Limits(), str(tmp_path))
    assert result.ok and "GP surgery" in result.text


@pytest.mark.parametrize(
    ("text", "coding"),
    [
        ("Έγινε επίσκεψη στο σπίτι της κυρίας Θεοδώρου την Τρίτη. " * 4, "iso-8859-7"),
    ],
)
def test_one_byte_text_libmagic_takes_for_a_dos_program_is_text(
    tmp_path: Path, text: str, coding: str
) -> None:
    """libmagic names a DOS .COM program by its first byte (0xB8 is "Έ"): chardet's
    Greek sample was typed application/x-dosexec and stored without its text."""
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode(coding))
    mime = detect(path).mime
    assert mime == "text/plain"
    result = extract_file(str(path), mime, Limits(), str(tmp_path))
    assert result.ok and text.split()[1] in result.text, result.text[:80]
