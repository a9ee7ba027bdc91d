"""Formats met in other projects' public test suites (docs/realworld-trial.md), each made here
by a real tool: LibreOffice writes them from generated content (tests/factories/office)."""

from __future__ import annotations

from pathlib import Path

from tests.factories import office
from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.filetype import detect

LIMITS = Limits(timeout_s=60.0)


def test_a_macro_enabled_word_document_gives_its_words(tmp_path: Path) -> None:
    """A .docm (oletools' test suite has several): libmagic names it DOCX, python-docx refuses
    its content type."""
    letter = office.text_document(
        tmp_path / "letter.odt", "Case note", ["Mrs Agnes Thornbury was visited at home."]
    )
    docm = office.saved_as(letter, "docm", tmp_path / "out")
    mime = detect(docm).mime
    result = extract_file(str(docm), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    assert "Agnes Thornbury was visited" in result.text
