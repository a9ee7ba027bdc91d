from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.errors import InvalidInput
from workers.sources.manifest import BadRow, ManifestRow, read_manifest
from workers.sources.mapping import load_mapping

HEADER = (
    "source_system,source_document_id,legacy_person_id,file_path,title,"
    "legacy_doc_type,document_date,sha256,created_by\n"
)


def _write(path: Path, body: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = (HEADER + body).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_cp1252_manifest_with_messy_values(tmp_path: Path) -> None:
    manifest = _write(
        tmp_path / "m.csv",
        "PARIS,D1, 00123 ;456,docs\\a.pdf,Letter re £50 “fees”,LETOUT,04/03/2019,,jbloggs\n",
        encoding="cp1252",
    )
    rows = list(read_manifest(manifest, load_mapping()))
    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row, ManifestRow)
    assert row.legacy_person_ids == ("00123", "456")
    assert row.title == "Letter re £50 “fees”"
    assert row.document_date == date(2019, 3, 4)
    assert row.extra == {"created_by": "jbloggs"}


def test_bom_and_bad_rows_reported_with_line_numbers(tmp_path: Path) -> None:
    manifest = _write(
        tmp_path / "m.csv",
        "PARIS,D1,1,a.txt,t,,2019-01-01,,x\n"
        "PARIS,,1,b.txt,t,,,,x\n"
        "PARIS,D3,1,c.txt\n"
        "PARIS,D4,1,d.txt,t,,someday,,x\n"
        "PARIS,D5,1,e.txt,t,,,nothex,x\n",
        bom=True,
    )
    rows = list(read_manifest(manifest, load_mapping()))
    # File lines, as an editor shows them: the header is line 1.
    assert [r.line_no for r in rows] == [2, 3, 4, 5, 6]
    assert isinstance(rows[0], ManifestRow)
    assert isinstance(rows[1], BadRow) and "required" in rows[1].detail
    assert isinstance(rows[2], BadRow) and "cells" in rows[2].detail
    # An unreadable date loses nothing: the row loads, with a warning.
    assert isinstance(rows[3], ManifestRow) and rows[3].document_date is None
    assert "unreadable date" in str(rows[3].warnings[0])
    assert isinstance(rows[4], BadRow) and "sha256" in rows[4].detail


def test_missing_required_column_is_refused_up_front(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("source_system,file_path\nPARIS,a.txt\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="source_document_id"):
        list(read_manifest(manifest, load_mapping()))


def test_mapping_renames_columns_and_maps_codes(tmp_path: Path) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(
        "manifest_columns: {source_document_id: DocRef, file_path: Path}\n"
        "legacy_types: {XYZ: court_legal}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(mapping_file)
    manifest = tmp_path / "m.csv"
    manifest.write_text("source_system,DocRef,Path\nPARIS,R1,f.txt\n", encoding="utf-8")
    (row,) = list(read_manifest(manifest, mapping))
    assert isinstance(row, ManifestRow) and row.source_document_id == "R1"
    assert mapping.doc_type_for_code(" xyz ") == "court_legal"
    assert mapping.doc_type_for_code("CPC") == "cp_conference"  # defaults kept


def test_mapping_with_unknown_type_is_refused(tmp_path: Path) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("legacy_types: {XYZ: not_a_type}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not_a_type"):
        load_mapping(mapping_file)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("PARIS,D1,1,a\x00.txt,t,,,,x\n", "file_path"),
        ("PARIS,D1\x00,1,a.txt,t,,,,x\n", "source_document_id"),
        ("PARIS,D1,1\x1b,a.txt,t,,,,x\n", "legacy_person_id"),
        ("PARIS,D1,1,a.txt,Letter\x00,,,,x\n", "title"),
        ("PARIS,D1,1,a.txt,t,,,,j\x07bloggs\n", "created_by"),
        ('PARIS,D1,1,"a\ttab.txt",t,,,,x\n', "file_path"),
        ("PARIS,D1,1,a.txt,t,,2019\x0001-01,,x\n", "document_date"),
    ],
)
def test_a_control_character_makes_a_bad_row_naming_the_column(
    tmp_path: Path, line: str, column: str
) -> None:
    manifest = _write(tmp_path / "m.csv", "PARIS,D0,1,ok.txt,t,,,,x\n" + line)
    rows = list(read_manifest(manifest, load_mapping()))
    assert isinstance(rows[0], ManifestRow)
    bad = rows[1]
    assert isinstance(bad, BadRow) and bad.line_no == 3
    assert bad.detail.startswith(f"{column} holds control character U+")
    # The ledger keeps the row's IDs, never the control character itself.
    assert "\x00" not in bad.source_document_id


def test_free_text_keeps_tabs_and_line_breaks(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "m.csv", 'PARIS,D1,1,a.txt,"Letter\tto\r\nthe family",,,,x\n')
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow) and row.title == "Letter\tto\r\nthe family"


def test_a_header_with_a_control_character_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "source_system,source_document_id,file_path,not\x00es\nPARIS,D1,a.txt,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="header column 4 holds control character U\\+0000"):
        list(read_manifest(manifest, load_mapping()))


def test_a_blank_row_between_rows_is_a_bad_row_and_trailing_ones_end_the_file(
    tmp_path: Path,
) -> None:
    manifest = _write(
        tmp_path / "m.csv",
        "PARIS,D1,1,a.txt,t,,,,x\n,,,,,,,,\n\nPARIS,D2,1,b.txt,t,,,,x\n,,,,,,,,\n\n",
    )
    rows = list(read_manifest(manifest, load_mapping()))
    assert [(r.line_no, type(r).__name__) for r in rows] == [
        (2, "ManifestRow"),
        (3, "BadRow"),
        (4, "BadRow"),
        (5, "ManifestRow"),
    ]
    assert isinstance(rows[1], BadRow) and rows[1].detail == "blank row"


def test_a_mapping_with_a_control_character_is_refused(tmp_path: Path) -> None:
    mapping_file = tmp_path / "map.yaml"
    # YAML's escape writes the NUL the file itself may not hold.
    mapping_file.write_text('strip_path_prefixes: ["C:\\0"]\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="strip_path_prefixes holds control character U\\+0000"):
        load_mapping(mapping_file)


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        (f"{'P' * 101},D1,1,a.txt,t,,,,x\n", "source_system is 101 characters, more than 100"),
        (f"PARIS,{'D' * 256},1,a.txt,t,,,,x\n", "source_document_id is 256 characters"),
        (f"PARIS,D1,1,a.txt,t,{'L' * 301},,,x\n", "legacy_doc_type is 301 characters"),
    ],
)
def test_a_value_longer_than_the_catalog_holds_is_a_bad_row(
    tmp_path: Path, line: str, detail: str
) -> None:
    """PostgreSQL refuses a value longer than its column: the registration stopped there."""
    (bad,) = list(read_manifest(_write(tmp_path / "m.csv", line), load_mapping()))
    assert isinstance(bad, BadRow) and bad.detail.startswith(detail)
    assert len(bad.source_system) <= 100 and len(bad.source_document_id) <= 255


def test_the_lengths_are_the_catalog_columns() -> None:
    from catalog.models import Document
    from workers.sources.manifest import MAX_CHARS

    columns = Document.__table__.c
    assert MAX_CHARS["source_system"] == columns.source_system.type.length
    assert MAX_CHARS["legacy_doc_type"] == columns.legacy_doc_type.type.length
    # Three levels of "#attachment-NNN" still fit.
    assert MAX_CHARS["source_document_id"] + 3 * 15 == columns.source_document_id.type.length


def test_a_row_is_numbered_by_the_file_line_it_starts_on(tmp_path: Path) -> None:
    """A quoted cell holding line breaks pushes the next rows down: each row's number is the
    line an editor shows it on, so a person can find it (it counted data rows before)."""
    manifest = _write(
        tmp_path / "m.csv",
        'PARIS,D1,1,a.txt,"Letter\nover\nthree lines",,,,x\n'
        "PARIS,,1,b.txt,t,,,,x\n"
        "PARIS,D3,1,c.txt,t,,31/02/2021,,x\n",
    )
    rows = list(read_manifest(manifest, load_mapping()))
    assert [r.line_no for r in rows] == [2, 5, 6]
    assert isinstance(rows[1], BadRow) and rows[1].code == "missing_id"
    third = rows[2]
    assert isinstance(third, ManifestRow) and third.document_date is None
    assert [(w.code, str(w)) for w in third.warnings] == [
        (
            "unreadable_date",
            "document_date: '31/02/2021' is not a real date (read as %d/%m/%Y); "
            "the manifest gives the document no date",
        )
    ]


def test_a_column_the_mapping_names_must_be_in_the_file(tmp_path: Path) -> None:
    """A mapped column that is not there read as empty before: every date silently lost."""
    manifest = _write(tmp_path / "m.csv", "PARIS,D1,1,a.txt,t,,2019-01-01,,x\n")
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("manifest_columns:\n  document_date: doc_date\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        list(read_manifest(manifest, load_mapping(mapping_file)))
    message = str(raised.value)
    assert "header lacks column(s) doc_date (for document_date)" in message
    assert "its columns are: source_system, source_document_id," in message
    assert "--mapping" in message


def test_an_unknown_mapping_key_is_refused_with_the_nearest_known_one(tmp_path: Path) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(
        "version: 1\nmanifest_column:\n  document_date: when\n"
        "people_columns:\n  date_of_brith: dob\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as raised:
        load_mapping(mapping_file)
    message = str(raised.value)
    assert "line 2: unknown key 'manifest_column' (did you mean 'manifest_columns'?)" in message
    assert (
        "line 5: unknown key 'people_columns.date_of_brith' (did you mean 'date_of_birth'?)"
        in message
    )


def test_a_yaml_error_names_its_line_not_a_parser_traceback(tmp_path: Path) -> None:
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("manifest_columns:\n  title: [x\n  sha256: y\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"map.yaml line 3: not valid YAML: expected ','"):
        load_mapping(mapping_file)


def test_excel_unicode_text_utf16_tab_separated_is_read(tmp_path: Path) -> None:
    """Excel's "Unicode text" export: UTF-16 with a byte-order mark, cells split by tabs. It
    was decoded as Windows-1252 and refused with a header of NULs no mapping could name."""
    manifest = tmp_path / "m.csv"
    row_text = "PARIS\tD1\t1\tdocs\\a.pdf\tLetter, £50 – Zoë\t\t04/03/2019\t\tx\r\n"
    text = HEADER.replace(",", "\t") + row_text
    manifest.write_bytes(text.encode("utf-16"))  # with its BOM, as Excel writes it
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow)
    assert row.file_path == "docs\\a.pdf" and row.title == "Letter, £50 – Zoë"
    assert row.document_date == date(2019, 3, 4) and row.extra == {"created_by": "x"}


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_the_one_the_header_uses(tmp_path: Path, delimiter: str) -> None:
    """European Excel saves "CSV" with semicolons; other exports use tabs or pipes. Every row
    was one cell before, and the header was refused."""
    lines = (HEADER, "PARIS,D1,1,a.txt,Letter,,04/03/2019,,x\n", "PARIS,D2,1,b.txt,t,,,,y\n")
    manifest = tmp_path / "m.csv"
    manifest.write_text("".join(line.replace(",", delimiter) for line in lines), "utf-8-sig")
    first, second = list(read_manifest(manifest, load_mapping()))
    assert isinstance(first, ManifestRow) and isinstance(second, ManifestRow)
    assert (first.source_document_id, first.file_path) == ("D1", "a.txt")
    assert second.extra == {"created_by": "y"}


def test_a_comma_header_keeps_semicolons_in_its_cells(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "m.csv", "PARIS,D1,1;2,a.txt,re: a; b,,,,x\n")
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow)
    assert row.legacy_person_ids == ("1", "2") and row.title == "re: a; b"


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    """Two `title` columns: the second silently won and the first's values were lost."""
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "source_system,source_document_id,file_path,title,Notes,title\n"
        "PARIS,D1,a.txt,first,n,second\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="header names 'title' twice: columns 4 and 6"):
        list(read_manifest(manifest, load_mapping()))


def test_blank_header_columns_from_trailing_delimiters_are_not_metadata(tmp_path: Path) -> None:
    """A spreadsheet's export ends every line with empty cells under empty headers."""
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "source_system,source_document_id,file_path,,\nPARIS,D1,a.txt,,\nPARIS,D2,b.txt,,kept\n",
        encoding="utf-8",
    )
    first, second = list(read_manifest(manifest, load_mapping()))
    assert isinstance(first, ManifestRow) and first.extra == {}
    assert isinstance(second, ManifestRow) and second.extra == {"column 5": "kept"}


def test_a_quote_never_closed_refuses_the_file_naming_the_line_it_opens_on(
    tmp_path: Path,
) -> None:
    """The cell ran on to the end of the file: the rows after it became its text and were
    silently lost (or, past 131,072 characters, a csv traceback)."""
    manifest = _write(
        tmp_path / "m.csv",
        "PARIS,D1,1,a.txt,t,,,,x\n"
        'PARIS,D2,1,b.txt,"Letter re ""urgent,,,,x\n'
        "PARIS,D3,1,c.txt,t,,,,x\n",
    )
    with pytest.raises(InvalidInput, match=r"m.csv line 3: a quote opened on this row is never "):
        list(read_manifest(manifest, load_mapping()))


def test_a_cell_past_the_csv_limit_is_a_line_not_a_traceback(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "m.csv", f'PARIS,D1,1,a.txt,"{"y" * 200_000}",,,,x\n')
    with pytest.raises(InvalidInput, match=r"m.csv line 2: a cell is longer than 131072"):
        list(read_manifest(manifest, load_mapping()))


def test_a_header_in_another_case_names_the_same_columns(tmp_path: Path) -> None:
    """`SOURCE_SYSTEM` and `Document_Date` were not `source_system` and `document_date`: the
    file was refused, or (an optional column) every row silently lost its value."""
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "SOURCE_SYSTEM, Source_Document_ID ,File_Path,Title,Document_Date,Created_By\n"
        "PARIS,D1,a.txt,Letter,04/03/2019,jb\n",
        encoding="utf-8",
    )
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow)
    assert (row.source_document_id, row.title) == ("D1", "Letter")
    assert row.document_date == date(2019, 3, 4) and row.extra == {"Created_By": "jb"}


def test_an_exact_header_wins_over_one_in_another_case(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "source_system,source_document_id,file_path,Title,title\nPARIS,D1,a.txt,Other,Mine\n",
        encoding="utf-8",
    )
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow) and row.title == "Mine" and row.extra == {"Title": "Other"}


def test_a_manifest_mixing_utf8_and_windows_1252_rows_reads_each_as_written(
    tmp_path: Path,
) -> None:
    """Rows appended in Windows-1252 to a UTF-8 export (two rounds of one report, a row added
    in another editor): the file was read as Windows-1252 throughout, so every UTF-8 accent
    became two letters ("ZoÃ«") without a word."""
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(
        HEADER.encode()
        + "PARIS,D1,1,a.txt,Letter to Zoë – £5,,,,x\n".encode()
        + "PARIS,D2,1,b.txt,Visit to José – £5,,,,y\n".encode("cp1252")
    )
    first, second = list(read_manifest(manifest, load_mapping()))
    assert isinstance(first, ManifestRow) and first.title == "Letter to Zoë – £5"
    assert isinstance(second, ManifestRow) and second.title == "Visit to José – £5"


def test_a_windows_1252_manifest_is_still_read_as_such(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "m.csv", "PARIS,D1,1,a.txt,Ångström ½ “q”,,,,x\n", "cp1252")
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow) and row.title == "Ångström ½ “q”"


def test_a_placeholder_or_future_document_date_gives_no_date_with_a_warning(
    tmp_path: Path,
) -> None:
    """01/01/1900 (a legacy system's "unknown") dated the letter 1900 in every chronology."""
    manifest = _write(
        tmp_path / "m.csv",
        "PARIS,D1,1,a.txt,t,,01/01/1900,,x\nPARIS,D2,1,b.txt,t,,31/12/2999,,x\n"
        "PARIS,D3,1,c.txt,t,,02/01/1900,,x\n",
    )
    first, second, third = list(read_manifest(manifest, load_mapping()))
    assert isinstance(first, ManifestRow) and first.document_date is None
    assert [(w.code, str(w)) for w in first.warnings] == [
        (
            "placeholder_date",
            "document_date 01/01/1900 is a placeholder legacy systems write for an unknown "
            "date; the manifest gives the document no date",
        )
    ]
    assert isinstance(second, ManifestRow) and second.document_date is None
    assert "is in the future" in str(second.warnings[0])
    assert isinstance(third, ManifestRow) and third.document_date == date(1900, 1, 2)


def test_excels_sep_line_names_the_delimiter_and_is_not_the_header(tmp_path: Path) -> None:
    """Exports meant for Excel start "sep=;": it was read as the header, and the file refused
    for lacking every column."""
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "sep=;\n" + HEADER.replace(",", ";") + "PARIS;D1;1;a.txt;Letter, urgent;;;;x\n",
        encoding="utf-8-sig",
    )
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow) and row.line_no == 3
    assert row.title == "Letter, urgent"


def test_excels_text_forcing_formula_is_its_value(tmp_path: Path) -> None:
    """Report writers keep leading zeros from Excel by writing ="00123": the ID was the
    formula's text and matched no one, the date was unreadable."""
    manifest = _write(tmp_path / "m.csv", 'PARIS,="D01",="00123",a.txt,t,,="04/03/2019",,x\n')
    (row,) = list(read_manifest(manifest, load_mapping()))
    assert isinstance(row, ManifestRow)
    assert (row.source_document_id, row.legacy_person_ids) == ("D01", ("00123",))
    assert row.document_date == date(2019, 3, 4)


def test_a_database_exports_null_is_an_empty_cell(tmp_path: Path) -> None:
    """SQL exports write NULL where there is no value (spreadsheet lookups #N/A): the row was
    refused for a sha256 that is not a digest, its date unreadable, its person 'NULL'."""
    manifest = _write(tmp_path / "m.csv", "PARIS,D1,NULL,a.txt,NULL,null,NULL,NULL,x\n")
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + "PARIS,D2,#N/A,b.txt,t,,#n/a,,x\n",
        encoding="utf-8",
    )
    first, second = list(read_manifest(manifest, load_mapping()))
    assert isinstance(first, ManifestRow) and first.warnings == ()
    assert first.legacy_person_ids == () and first.sha256 is None
    assert (first.title, first.legacy_doc_type, first.document_date) == ("", "", None)
    assert isinstance(second, ManifestRow) and second.warnings == ()
    assert second.legacy_person_ids == ()
