"""Normal files of every supported format, extracted in-process by the registry."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from fpdf import FPDF
from odf.opendocument import OpenDocumentText
from odf.text import H, P
from PIL import Image

from tests.factories import hostile
from workers.extract.base import TEXT_LAYERS, Limits, PageRange
from workers.extract.registry import choose, extract_file

LIMITS = Limits()


def _extract(path: Path, mime: str, tmp_path: Path) -> tuple[str, str | None, str]:
    result = extract_file(str(path), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    return result.text, result.reason, result.engine


def test_registry_prefers_the_best_scoring_extractor() -> None:
    assert choose("text/html") is not None and choose("text/html").name == "html"  # type: ignore[union-attr]
    assert choose("text/x-python").name == "text"  # type: ignore[union-attr]
    assert choose("image/gif").name == "image"  # type: ignore[union-attr]
    assert choose("application/x-msaccess") is None


def test_pdf_text_layer_per_page(tmp_path: Path) -> None:
    path = hostile.make_pdf(tmp_path / "a.pdf", ["Core assessment", "Care plan review"])
    result = extract_file(str(path), "application/pdf", LIMITS, str(tmp_path))
    assert result.ok and result.engine == "pdfium"
    assert (result.pages, result.ocr_pages) == (2, 0)
    assert result.text.split("\f") == ["Core assessment", "Care plan review"]


def test_pdf_word_broken_at_a_line_end_keeps_its_hyphen(tmp_path: Path) -> None:
    # PDFium reports a hyphen where a line breaks as a marker character, not as "-".
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 20, "The clinic will offer a follow-")  # wrapped as textwrap does
    pdf.text(20, 26, "up appointment next week.")
    path = tmp_path / "wrapped.pdf"
    pdf.output(str(path))
    text, _, _ = _extract(path, "application/pdf", tmp_path)
    assert "offer a follow-up appointment" in text, repr(text)


def test_scanned_pdf_page_is_ocred(tmp_path: Path) -> None:
    path = hostile.make_scanned_pdf(tmp_path / "scan.pdf", "Safeguarding")
    result = extract_file(str(path), "application/pdf", LIMITS, str(tmp_path))
    assert result.ok and result.engine == "pdfium+tesseract"
    assert (result.pages, result.ocr_pages) == (1, 1)
    assert "Safeguarding" in result.text


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    path = hostile.make_docx(
        tmp_path / "a.docx", ["Referral received", "Second line"], [["Name", "Role"], ["Ann", "SW"]]
    )
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    text, _, engine = _extract(path, mime, tmp_path)
    assert engine == "docx"
    assert text.splitlines() == ["Referral received", "Second line", "Name\tRole", "Ann\tSW"]


def test_rtf_with_windows_1252_escape(tmp_path: Path) -> None:
    path = tmp_path / "a.rtf"
    path.write_text(r"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Caf\'e9 visit\par Next line}")
    text, _, _ = _extract(path, "text/rtf", tmp_path)
    assert "Café visit" in text and "Next line" in text


def test_odt_paragraphs_and_headings(tmp_path: Path) -> None:
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Chronology"))
    document.text.addElement(P(text="Home visit completed"))
    path = tmp_path / "a.odt"
    document.save(str(path))
    text, _, engine = _extract(path, "application/vnd.oasis.opendocument.text", tmp_path)
    assert engine == "odt"
    assert text.splitlines() == ["Chronology", "Home visit completed"]


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_bytes(
        "<html><head><title>T</title><script>secret()</script></head>"
        "<body><h1>Case note</h1><p>Café</p></body></html>".encode()
    )
    text, _, _ = _extract(path, "text/html", tmp_path)
    assert text.splitlines() == ["Case note", "Café"]


def test_text_in_windows_1252_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Visit to Zoë’s home – all well, café closed.\n".encode("cp1252") * 5)
    text, _, _ = _extract(path, "text/plain", tmp_path)
    assert "Zoë’s home – all well" in text


def test_eml_body_metadata_and_attachment(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "Duty Team <duty@example.org>"
    message["To"] = "sw@example.org"
    message["Subject"] = "Strategy meeting"
    message["Date"] = "Tue, 01 Mar 2016 10:00:00 +0000"
    message.set_content("Minutes attached.")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="../../minutes.pdf"
    )
    path = tmp_path / "a.eml"
    path.write_bytes(bytes(message))
    out = tmp_path / "out"
    out.mkdir()
    result = extract_file(str(path), "message/rfc822", LIMITS, str(out))
    assert result.ok and result.engine == "eml"
    assert result.metadata == {
        "subject": "Strategy meeting",
        "from": "Duty Team <duty@example.org>",
        "date": "Tue, 01 Mar 2016 10:00:00 +0000",
    }
    assert "Minutes attached." in result.text and result.text.startswith("Strategy meeting")
    [attachment] = result.attachments
    assert attachment.name == "minutes.pdf"
    assert Path(attachment.path).parent == out  # a hostile name cannot escape tmp_dir
    assert Path(attachment.path).read_bytes() == b"%PDF-1.4 fake"


def test_png_and_jpeg_are_ocred(tmp_path: Path) -> None:
    image = hostile.make_text_image("Chronology")
    image.save(tmp_path / "a.png")
    image.convert("RGB").save(tmp_path / "a.jpg", quality=90)
    for name, mime in (("a.png", "image/png"), ("a.jpg", "image/jpeg")):
        result = extract_file(str(tmp_path / name), mime, LIMITS, str(tmp_path))
        assert result.ok and result.engine == "tesseract" and result.ocr_pages == 1
        assert "Chronology" in result.text


def test_multipage_fax_tiff_ocrs_every_frame(tmp_path: Path) -> None:
    frames = [hostile.make_text_image(word).convert("1") for word in ("Referral", "Outcome")]
    path = tmp_path / "fax.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    result = extract_file(str(path), "image/tiff", LIMITS, str(tmp_path))
    assert result.ok and (result.pages, result.ocr_pages) == (2, 2)
    first, second = result.text.split("\f")
    assert "Referral" in first and "Outcome" in second


def test_multipage_tiff_frames_by_range(tmp_path: Path) -> None:
    frames = [hostile.make_text_image(w).convert("1") for w in ("Referral", "Visit", "Outcome")]
    path = tmp_path / "fax.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    listed = extract_file(str(path), "image/tiff", LIMITS, str(tmp_path), TEXT_LAYERS)
    assert listed.ok and (listed.pages, listed.ocr_pages, listed.pending_ocr) == (3, 0, [1, 2, 3])
    assert [page.text for page in listed.page_texts] == [None, None, None]
    ranged = extract_file(str(path), "image/tiff", LIMITS, str(tmp_path), PageRange(2, 3))
    assert ranged.ok and (ranged.pages, ranged.ocr_pages, ranged.pending_ocr) == (3, 2, [])
    assert [page.page_no for page in ranged.page_texts] == [2, 3]
    assert "Visit" in ranged.text and "Outcome" in ranged.text and "Referral" not in ranged.text


def test_single_frame_image_is_ocred_even_when_only_text_layers_are_asked(
    tmp_path: Path,
) -> None:
    hostile.make_text_image("Chronology").save(tmp_path / "one.png")
    result = extract_file(
        str(tmp_path / "one.png"), "image/png", LIMITS, str(tmp_path), TEXT_LAYERS
    )
    assert result.ok and (result.pages, result.ocr_pages, result.pending_ocr) == (1, 1, [])
    assert "Chronology" in result.text


def test_blank_image_has_no_text(tmp_path: Path) -> None:
    Image.new("L", (400, 200), 255).save(tmp_path / "blank.png")
    result = extract_file(str(tmp_path / "blank.png"), "image/png", LIMITS, str(tmp_path))
    assert (result.ok, result.reason, result.text) == (True, "no_text", "")


def test_unsupported_type_is_ok_without_text(tmp_path: Path) -> None:
    path = tmp_path / "a.mdb"
    path.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + bytes(200))
    result = extract_file(str(path), "application/x-msaccess", LIMITS, str(tmp_path))
    assert (result.ok, result.reason, result.text) == (True, "unsupported_type", "")


def test_text_is_cut_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("abcdefghij" * 100)
    result = extract_file(str(path), "text/plain", Limits(max_text_chars=25), str(tmp_path))
    assert result.text == "abcdefghij" * 2 + "abcde" and result.truncated
