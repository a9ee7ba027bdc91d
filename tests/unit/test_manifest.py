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
    assert [r.line_no for r in rows] == [1, 2, 3, 4, 5]
    assert isinstance(rows[0], ManifestRow)
    assert isinstance(rows[1], BadRow) and "required" in rows[1].detail
    assert isinstance(rows[2], BadRow) and "cells" in rows[2].detail
    # An unreadable date loses nothing: the row loads, with a warning.
    assert isinstance(rows[3], ManifestRow) and rows[3].document_date is None
    assert "unreadable date" in rows[3].warnings[0]
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
