"""DOCX text beyond the body's paragraphs: text boxes, headers and footers, footnotes and
comments (mammoth's test files: text-box.docx had no text, footnotes.docx only its body), and
Strict OOXML, which python-docx cannot open (mammoth's strict-format.docx ended corrupt)."""

from __future__ import annotations

from pathlib import Path

import docx
from odf.draw import Frame, TextBox
from odf.opendocument import OpenDocumentText
from odf.style import Footer, Header, MasterPage, PageLayout
from odf.text import Note, NoteBody, NoteCitation, P

from tests.factories import office
from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.filetype import DOCX, detect

LIMITS = Limits(timeout_s=60.0)


def _letter_with_parts(path: Path) -> Path:
    """An ODT with a header, a footer, a text box and a footnote, as LibreOffice writes them."""
    document = OpenDocumentText()
    layout = PageLayout(name="page")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(P(text="Northfield Children's Services"))
    footer.addElement(P(text="Protect: personal data"))
    master.addElement(header)
    master.addElement(footer)
    document.masterstyles.addElement(master)
    body = P(text="Agnes Thornbury was visited at home.")
    note = Note(noteclass="footnote", id="ftn1")
    note.addElement(NoteCitation(text="1"))
    note_body = NoteBody()
    note_body.addElement(P(text="Visit arranged by the duty desk"))
    note.addElement(note_body)
    body.addElement(note)
    document.text.addElement(body)
    anchor = P()
    frame = Frame(width="6cm", height="2cm", anchortype="paragraph")
    box = TextBox()
    box.addElement(P(text="Reference number NF-2041"))
    frame.addElement(box)
    anchor.addElement(frame)
    document.text.addElement(anchor)
    document.save(str(path))
    return path


def test_headers_footers_text_boxes_and_footnotes_are_read(tmp_path: Path) -> None:
    source = _letter_with_parts(tmp_path / "letter.odt")
    path = office.saved_as(source, "docx", tmp_path / "out")
    assert detect(path).mime == DOCX
    result = extract_file(str(path), DOCX, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    for words in (
        "Agnes Thornbury was visited",
        "Northfield Children's Services",
        "Protect: personal data",
        "Visit arranged by the duty desk",
    ):
        assert words in result.text
    # A text box is written twice (a shape and its VML fallback): read once.
    assert result.text.count("Reference number NF-2041") == 1


def test_comments_are_read(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Agnes Thornbury was visited at home.")
    document.add_comment(paragraph.runs, text="Check the date with the GP", author="Team")
    path = tmp_path / "note.docx"
    document.save(str(path))
    result = extract_file(str(path), DOCX, LIMITS, str(tmp_path))
    assert result.ok and "Check the date with the GP" in result.text


def test_a_strict_ooxml_document_is_read_through_libreoffice(tmp_path: Path) -> None:
    """mammoth's strict-format.docx (tests/fixtures/docx/README.md), read from a copy."""
    sample = Path(__file__).parents[2] / "fixtures" / "docx" / "strict-format.docx"
    path = tmp_path / "strict.docx"
    path.write_bytes(sample.read_bytes())
    mime = detect(path).mime
    assert mime == DOCX
    result = extract_file(str(path), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    assert result.text.strip() == "Test"
