"""Formats met in other projects' public test suites (BENCHMARKS.md, "Real-world files"), each
made here by a real tool: LibreOffice writes them from generated content (tests/factories/office).
"""

from __future__ import annotations

import zipfile
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


def _repacked(source: Path, out: Path) -> Path:
    """`source` re-zipped with every member compressed and `mimetype` last, as re-zipping tools
    leave an OpenDocument file (pyexcel-ods' white_space.ods is one)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as repacked:
        names = sorted(original.namelist(), key=lambda name: name == "mimetype")
        for name in names:
            repacked.writestr(name, original.read(name), compress_type=zipfile.ZIP_DEFLATED)
    return out


def test_an_opendocument_file_whose_mimetype_is_not_first_is_typed_and_read(
    tmp_path: Path,
) -> None:
    book = office.spreadsheet(
        tmp_path / "book.ods", {"Visits": [["Worker", "Outcome"], ["Jones", "grandmother"]]}
    )
    letter = office.text_document(tmp_path / "letter.odt", "Case note", ["Agnes Thornbury."])
    for source, mime, word in (
        (book, "application/vnd.oasis.opendocument.spreadsheet", "grandmother"),
        (letter, "application/vnd.oasis.opendocument.text", "Thornbury"),
    ):
        repacked = _repacked(source, tmp_path / f"repacked-{source.name}")
        assert detect(repacked).mime == mime
        result = extract_file(str(repacked), mime, LIMITS, str(tmp_path))
        assert result.ok and word in result.text, result


def test_a_chart_gives_its_titles_and_names_not_its_numbers(tmp_path: Path) -> None:
    """A chart in a presentation (python-pptx's chart samples had no text): LibreOffice keeps
    it as an embedded object with its own content.xml."""
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    data = CategoryChartData()  # type: ignore[no-untyped-call]
    data.categories = ["Referrals", "Assessments", "Reviews"]
    data.add_series("Northfield team", (41.5, 27.25, 13.75))  # type: ignore[no-untyped-call]
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: the chart is all it has
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(1), Inches(6), Inches(4), data
    )
    frame.chart.has_title = True
    frame.chart.chart_title.text_frame.text = "Contacts by month"
    path = tmp_path / "contacts.pptx"
    deck.save(str(path))
    mime = detect(path).mime
    result = extract_file(str(path), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    for words in ("Contacts by month", "Northfield team", "Assessments"):
        assert words in result.text
    assert "27.25" not in result.text
