"""Documents with a comment through escr's warm LibreOffice. Without Writer's UI files (which
Debian 12's -nogui package leaves out; scripts/libreoffice-writer-ui.sh puts them back)
LibreOffice running as a server aborted on every one: python-docx's comments-rich-para.docx
ended without a rendition, and any DOC with a comment without its text."""

from __future__ import annotations

from pathlib import Path

import docx
from odf.dc import Creator
from odf.office import Annotation
from odf.opendocument import OpenDocumentText
from odf.text import P

from tests.factories import office
from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.filetype import detect
from workers.render.base import RenderRequest
from workers.render.registry import render_file

LIMITS = Limits(timeout_s=60.0)
WORDS = "Agnes Thornbury was seen at home"
COMMENT = "Check the date of the visit"


def _commented_odt(path: Path) -> Path:
    document = OpenDocumentText()
    paragraph = P(text=f"{WORDS}. ")
    comment = Annotation()
    comment.addElement(Creator(text="Social worker"))
    comment.addElement(P(text=COMMENT))
    paragraph.addElement(comment)
    document.text.addElement(paragraph)
    document.save(str(path))
    return path


def _commented_docx(path: Path) -> Path:
    document = docx.Document()
    paragraph = document.add_paragraph(f"{WORDS}.")
    document.add_comment(paragraph.runs, text=COMMENT, author="Social worker")
    document.save(str(path))
    return path


def test_a_doc_with_a_comment_gives_its_words(tmp_path: Path) -> None:
    doc = office.saved_as(_commented_odt(tmp_path / "note.odt"), "doc", tmp_path / "out")
    mime = detect(doc).mime
    assert mime == "application/msword"
    result = extract_file(str(doc), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    assert WORDS in result.text


def test_a_docx_with_a_comment_is_laid_out_by_libreoffice(tmp_path: Path) -> None:
    path = _commented_docx(tmp_path / "note.docx")
    out = tmp_path / "rendition.pdf"
    request = RenderRequest(str(path), detect(path).mime, str(out), scratch=str(tmp_path))
    result = render_file(request, LIMITS)
    assert result.ok and result.method == "libreoffice", result
    assert out.read_bytes().startswith(b"%PDF")
