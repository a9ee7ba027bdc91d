"""Type detection by content, and the extension check, on generated files."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.factories import hostile
from workers.filetype import DOCX, EML, EMPTY, PDF, detect, extension_mismatch


def test_detects_pdf_by_content_whatever_its_name(tmp_path: Path) -> None:
    path = hostile.pdf_named_doc(tmp_path)
    assert detect(path).mime == PDF
    assert "PDF" in detect(path).description


def test_detects_docx_rtf_html_text_and_empty(tmp_path: Path) -> None:
    docx_path = hostile.make_docx(tmp_path / "a.docx", ["Hello"])
    rtf_path = tmp_path / "a.rtf"
    rtf_path.write_text(r"{\rtf1\ansi Hello}")
    html_path = tmp_path / "a.html"
    html_path.write_text("<!DOCTYPE html><html><body><p>Hello</p></body></html>")
    txt_path = tmp_path / "a.txt"
    txt_path.write_text("Just a note about a visit.\n")
    assert detect(docx_path).mime == DOCX
    assert detect(rtf_path).mime == "text/rtf"
    assert detect(html_path).mime == "text/html"
    assert detect(txt_path).mime == "text/plain"
    assert detect(hostile.zero_byte(tmp_path)).mime == EMPTY


def test_detects_email_even_when_libmagic_says_text(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["To"] = "b@example.org"
    message["Subject"] = "Visit"
    message.set_content("Body")
    path = tmp_path / "a.eml"
    path.write_bytes(bytes(message))
    assert detect(path).mime == EML


def test_detects_images(tmp_path: Path) -> None:
    image = hostile.make_text_image("Word")
    image.save(tmp_path / "a.png")
    image.save(tmp_path / "a.tif")
    assert detect(tmp_path / "a.png").mime == "image/png"
    assert detect(tmp_path / "a.tif").mime == "image/tiff"


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("letter.doc", PDF, True),
        ("letter.pdf", PDF, False),
        ("LETTER.PDF", PDF, False),
        (r"C:\export\Letter.Docx", DOCX, False),
        ("note.txt", "text/rtf", True),
        ("scan.dat", PDF, False),  # an extension no type claims says nothing
        ("noextension", PDF, False),
        ("file.pdf", "application/x-unknown", False),  # no expectation for this type
        ("mail.msg", EML, True),
    ],
)
def test_extension_mismatch(name: str, mime: str, expected: bool) -> None:
    assert extension_mismatch(name, mime) is expected
