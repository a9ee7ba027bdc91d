"""OOXML packages whose part names differ in case from their references (xlrd's
issue150.xlsx, from a .NET writer: `[content_types].xml`, `xl/sharedstrings.xml`): Excel opens
them, LibreOffice refused them and the workbook ended corrupt with no text."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.factories import office
from workers.convert.package_names import CONTENT_TYPES, with_canonical_names
from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.filetype import detect

LIMITS = Limits(timeout_s=60.0)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(tmp_path: Path) -> Path:
    book = office.spreadsheet(
        tmp_path / "visits.ods",
        {"Visits": [["Worker", "Outcome"], ["Jones", "grandmother present"]]},
    )
    return office.saved_as(book, "xlsx", tmp_path / "xlsx")


def _lower_cased(source: Path, out: Path) -> Path:
    """`source` with its content types and shared strings parts named in lower case."""
    lowered = {CONTENT_TYPES, "xl/sharedStrings.xml"}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as changed:
        for info in original.infolist():
            name = info.filename.lower() if info.filename in lowered else info.filename
            changed.writestr(name, original.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return out


def test_a_workbook_whose_parts_are_named_in_another_case_is_read(tmp_path: Path) -> None:
    odd = _lower_cased(_workbook(tmp_path), tmp_path / "odd.xlsx")
    mime = detect(odd).mime
    assert mime == XLSX
    result = extract_file(str(odd), mime, LIMITS, str(tmp_path))
    assert result.ok, result.detail
    assert "grandmother present" in result.text


def test_the_copy_names_parts_as_referred_to(tmp_path: Path) -> None:
    odd = _lower_cased(_workbook(tmp_path), tmp_path / "odd.xlsx")
    copy = with_canonical_names(odd, tmp_path / "copy")
    assert copy is not None
    with zipfile.ZipFile(copy) as package:
        names = set(package.namelist())
    assert {CONTENT_TYPES, "xl/sharedStrings.xml"} <= names
    assert "[content_types].xml" not in names


def test_packages_spelt_right_are_left_alone(tmp_path: Path) -> None:
    book = _workbook(tmp_path)
    letter = office.text_document(tmp_path / "letter.odt", "Note", ["Agnes Thornbury."])
    assert with_canonical_names(book, tmp_path / "copy") is None
    assert with_canonical_names(letter, tmp_path / "copy") is None
    assert not (tmp_path / "copy").exists()
