"""A rendition of each type, made in the sandbox: it opens with pypdf, has the pages expected,
and a scan's PDF carries the OCR words as an invisible text layer (issue 13, section 5)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from tests.unit.render.conftest import (
    SCAN_LINES,
    born_digital_pdf,
    doc_file,
    docx_file,
    eml_file,
    jpeg_scan,
    pdf_text,
    render,
    tiff_scan,
)
from workers.extract.base import Limits
from workers.sandbox import SandboxPool


def test_a_born_digital_pdf_is_its_own_rendition(pool: SandboxPool, tmp_path: Path) -> None:
    result, out = render(pool, born_digital_pdf(tmp_path / "plan.pdf"), "application/pdf")
    assert (result.ok, result.original, result.method, result.pages) == (
        True,
        True,
        "original",
        3,
    )
    assert not out.exists()  # nothing written: the stored original is the rendition


def test_a_pdf_pdfium_cannot_open_is_repaired(pool: SandboxPool, tmp_path: Path) -> None:
    good = born_digital_pdf(tmp_path / "good.pdf").read_bytes()
    # A gateway's banner before the header (past PDFium's first 1,024 bytes): qpdf recovers.
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"X-Mailer-Gateway: scanned\r\n" * 80 + good)
    result, out = render(pool, broken, "application/pdf")
    assert (result.ok, result.method, result.pages) == (True, "repaired", 3), result
    assert len(PdfReader(out).pages) == 3
    assert "Care plan review page 2" in pdf_text(out)[1]


def test_an_encrypted_pdf_has_no_rendition_and_says_why(pool: SandboxPool, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(born_digital_pdf(tmp_path / "plain.pdf")) as document:
        document.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    result, _ = render(pool, locked, "application/pdf")
    assert (result.ok, result.reason) == (False, "encrypted")


def test_a_multi_page_tiff_gets_a_page_each_and_an_ocr_text_layer(
    pool: SandboxPool, tmp_path: Path
) -> None:
    result, out = render(pool, tiff_scan(tmp_path / "scan.tif"), "image/tiff", timeout_s=120.0)
    assert (result.ok, result.method, result.pages) == (True, "ocr", 3), result
    reader = PdfReader(out)
    assert len(reader.pages) == 3
    # A4 at the scan's 200 dpi, not Tesseract's 70 dpi guess.
    assert round(float(reader.pages[0].mediabox.width)) in range(590, 600)
    for number, text in enumerate(pdf_text(out), start=1):
        assert f"page {number}" in text and "visited at home" in text, text
    # The text is invisible (render mode 3), laid over the page image.
    assert b"3 Tr" in reader.pages[0].get_contents().get_data()  # type: ignore[union-attr]
    assert reader.pages[0].images, "the page image is kept"


def test_a_jpeg_scan(pool: SandboxPool, tmp_path: Path) -> None:
    result, out = render(pool, jpeg_scan(tmp_path / "letter.jpg"), "image/jpeg")
    assert (result.ok, result.pages) == (True, 1)
    assert SCAN_LINES[0] in pdf_text(out)[0]


def test_docx_and_doc_through_libreoffice(pool: SandboxPool, tmp_path: Path) -> None:
    docx = docx_file(tmp_path / "assessment.docx")
    doc = doc_file(tmp_path / "assessment.doc", tmp_path)
    for path, mime in (
        (docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (doc, "application/msword"),
    ):
        result, out = render(pool, path, mime)
        assert (result.ok, result.method, result.pages) == (True, "libreoffice", 2), result
        texts = pdf_text(out)
        assert "Assessment of needs, part 1" in texts[0]
        assert "part 2" in texts[1]


def test_an_email_shows_its_headers_body_and_attachments(pool: SandboxPool, tmp_path: Path) -> None:
    result, out = render(pool, eml_file(tmp_path / "notes.eml"), "message/rfc822")
    assert (result.ok, result.method, result.pages) == (True, "message", 1), result
    text = pdf_text(out)[0]
    for expected in (
        "Strategy meeting notes",
        "duty@council.example",
        "ann.ash@council.example",
        "04 Mar 2014",
        "Please read before Friday",
        "minutes.txt",
        "letter.png",
    ):
        assert expected in text, expected


def test_html_shows_its_text_and_never_its_scripts(pool: SandboxPool, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Visit</title><script>var secret='run-me'</script></head>"
        "<body><h1>Home visit</h1><p>Met the family&nbsp;at home.</p>"
        '<img src="http://tracker.example/pixel.gif"></body></html>',
        encoding="utf-8",
    )
    result, out = render(pool, page, "text/html", title="Visit")
    assert (result.ok, result.method) == (True, "html")
    text = pdf_text(out)[0]
    assert "Home visit" in text and "Met the family" in text
    assert "run-me" not in text and "tracker" not in text


def test_plain_text_keeps_every_character_and_runs_over_pages(
    pool: SandboxPool, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    line = "Paid £40 for Zoë Łukasiewicz’s travel; Σ of visits: 3.\tAgreed.\n"
    note.write_text(line * 200, encoding="utf-8")
    result, out = render(pool, note, "text/plain", title="note.txt")
    assert (result.ok, result.method) == (True, "text")
    assert result.pages == len(PdfReader(out).pages) >= 2
    assert "Paid £40 for Zoë Łukasiewicz’s travel; Σ of visits: 3." in pdf_text(out)[0]


def test_a_container_gets_a_listing_page(pool: SandboxPool, tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty ZIP: the listing is the catalog's
    children = ("letter.docx", "scan.tif")
    result, out = render(pool, archive, "application/zip", title="bundle.zip", children=children)
    assert (result.ok, result.method, result.pages) == (True, "listing", 1)
    text = pdf_text(out)[0]
    assert "letter.docx" in text and "scan.tif" in text


def test_a_type_without_a_rendition_says_so(pool: SandboxPool, tmp_path: Path) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)))
    result, _ = render(pool, blob, "application/octet-stream")
    assert (result.ok, result.reason) == (False, "unsupported_type")


def test_a_damaged_image_fails_with_a_reason_not_an_error(
    pool: SandboxPool, tmp_path: Path
) -> None:
    scan = jpeg_scan(tmp_path / "cut.jpg")
    scan.write_bytes(scan.read_bytes()[:200])
    result, _ = render(pool, scan, "image/jpeg")
    assert result.ok is False and result.reason == "corrupt"


def test_a_pdf_past_repair_fails_quietly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """pypdf's forgiving reader logs what it forgives; in a child of a load that reached the
    console in the middle of the progress bar ("EOF marker not found")."""
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    (tmp_path / "sandbox").mkdir()
    with SandboxPool(1, Limits(), tmp_path / "sandbox") as own:  # its children write to capfd
        result, _ = render(own, garbage, "application/pdf")
    assert not result.ok and result.reason == "corrupt"
    assert "EOF marker" not in capfd.readouterr().err
