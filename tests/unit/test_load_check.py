"""`escr load --check`: what a load would refuse or guess, with file lines, loading nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.db import session_factory
from catalog.models import Batch
from catalog.schema import migrate
from cli.main import main
from core.settings import Settings
from tests.factories.tiny import MANIFEST, PEOPLE, make_tiny_archive

# After the tiny archive's three rows (file lines 2-4): a title over two lines (5-6), then rows
# whose file lines are 7 onwards.
MORE_ROWS = (
    'PARIS,D4,100,files/visit.txt,"Visit,\nsecond line",VISIT,2020-01-01,\n'
    "PARIS,D5,100,files/visit.txt,Visit,VISIT,31/02/2021,\n"
    "PARIS,D6,100,files/visit.txt,Visit,VISIT,2nd April 2019,\n"
    "PARIS,D7,100,files/gone.txt,Lost,VISIT,2020-01-01,\n"
    "PARIS,D2,100,files/plan.txt,Care plan again,CPLAN,2021-06-01,\n"
    "PARIS,,100,files/plan.txt,No ID,CPLAN,2021-06-01,\n"
)
MORE_PEOPLE = (
    "MOS3,Mosaic,PARIS:300,Cy,Cole,2012-01-01,,0000000000,children\n"
    "MOS4,Mosaic,PARIS:400,Di,Dale,2012-01-01,,9434765918,children\n"
)


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    make_tiny_archive(tmp_path)
    (tmp_path / "manifest.csv").write_text(MANIFEST + MORE_ROWS, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE + MORE_PEOPLE, encoding="utf-8")
    return tmp_path


def _check(root: Path, *extra: str) -> list[str]:
    return ["load", str(root / "manifest.csv"), "--people", str(root / "people.csv"), "--check"]


def _problems(report: dict[str, object]) -> dict[str, list[tuple[int | None, str]]]:
    problems = report["problems"]
    assert isinstance(problems, list)
    return {p["code"]: [(e["line"], e["detail"]) for e in p["examples"]] for p in problems}


def test_the_check_reports_each_problem_with_its_file_line_and_loads_nothing(
    settings: Settings, messy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_check(messy), "--json"]) == 1  # a row would be refused
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["rows"] == {"manifest": 9, "people": 4}
    problems = _problems(report)
    assert problems["manifest.unreadable_date"] == [
        (
            7,
            "document_date: '31/02/2021' is not a real date (read as %d/%m/%Y); "
            "the manifest gives the document no date",
        ),
        (
            8,
            "document_date: unreadable date '2nd April 2019' (expected YYYY-MM-DD or one of "
            "%d/%m/%Y, %d-%b-%y, %d-%b-%Y, %d.%m.%Y); the manifest gives the document no date",
        ),
    ]
    assert problems["manifest.missing_file"] == [(9, "'files/gone.txt' is not in the archive")]
    assert problems["manifest.duplicate_source_id"] == [
        (10, "'D2' is also on line 3; this row is skipped")
    ]
    assert problems["manifest.missing_id"] == [
        (11, "source_system and source_document_id are required")
    ]
    # The placeholder and the number failing modulus 11, on their file lines.
    assert [line for line, _ in problems["people.invalid_nhs_number"]] == [4, 5]
    assert report["refused"] == 2 and report["warnings"] == 5
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0


def test_the_text_report_groups_refusals_before_warnings(
    settings: Settings, messy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_check(messy), "--examples", "1"]) == 1
    out = capsys.readouterr().out
    refused, warned = out.index("REFUSED"), out.index("WARNINGS")
    assert refused < out.index("manifest.missing_file: 1") < warned
    assert warned < out.index("manifest.unreadable_date: 2")
    assert "    manifest.csv line 7: document_date: '31/02/2021' is not a real date" in out
    assert "line 8" not in out  # one example each
    assert out.rstrip().endswith("2 row(s) or file(s) would be refused")


def test_a_clean_archive_passes_the_check(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tiny_archive(tmp_path)
    assert main(_check(tmp_path)) == 0
    assert capsys.readouterr().out.rstrip().endswith("nothing would be refused")


def test_a_misspelt_mapping_key_is_named_with_its_line_by_the_check_and_the_load(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tiny_archive(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("version: 1\nmanifest_column:\n  document_date: when\n", encoding="utf-8")
    assert main([*_check(tmp_path), "--mapping", str(mapping)]) == 1
    out = capsys.readouterr().out
    assert "line 2: unknown key 'manifest_column' (did you mean 'manifest_columns'?)" in out
    load = ["load", str(tmp_path / "manifest.csv"), "--people", str(tmp_path / "people.csv")]
    assert main([*load, "--mapping", str(mapping), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'manifest_columns'?" in err and "Traceback" not in err


def test_a_mapped_column_missing_from_the_file_lists_the_headers_found(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tiny_archive(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("manifest_columns:\n  document_date: DocDate\n", encoding="utf-8")
    assert main([*_check(tmp_path), "--mapping", str(mapping), "--json"]) == 1
    (detail,) = _problems(json.loads(capsys.readouterr().out))["manifest.file"]
    assert detail[0] is None
    assert "header lacks column(s) DocDate (for document_date)" in detail[1]
    assert "its columns are: source_system, source_document_id, legacy_person_id" in detail[1]
    assert "--mapping" in detail[1]


def test_a_yaml_error_is_a_line_not_a_traceback(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tiny_archive(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("manifest_columns:\n  title: 'unclosed\n", encoding="utf-8")
    assert main([*_check(tmp_path), "--mapping", str(mapping)]) == 1
    out = capsys.readouterr().out
    assert "mapping.yaml line 3: not valid YAML" in out and "Traceback" not in out


def test_the_load_counts_its_warnings_on_stderr_and_in_its_summary(
    settings: Settings, messy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load = ["load", str(messy / "manifest.csv"), "--people", str(messy / "people.csv")]
    assert main([*load, "--quiet"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["warnings"] == {
        "manifest.unreadable_date": 2,
        "people.invalid_nhs_number": 2,
    }
    assert "warning: manifest.unreadable_date: 2" in captured.err
    assert "warning: people.invalid_nhs_number: 2" in captured.err


def test_a_field_whose_column_the_file_lacks_is_a_warning_naming_the_headers(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export calling its date column DocDate, loaded without a mapping: every document
    was undated without a word."""
    make_tiny_archive(tmp_path)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST.replace(",document_date,", ",DocDate,", 1), encoding="utf-8")
    assert main([*_check(tmp_path), "--json"]) == 0  # nothing refused: a warning
    (absent,) = _problems(json.loads(capsys.readouterr().out))["manifest.absent_column"]
    assert absent[0] == 1  # the header's line
    assert absent[1].startswith(
        "manifest.csv has no column 'document_date' for document_date: every row loads without "
        "it. Its columns are: source_system, source_document_id, legacy_person_id, file_path, "
        "title, legacy_doc_type, DocDate, sha256. Name the column in a mapping file (--mapping)"
    )
    load = ["load", str(manifest), "--people", str(tmp_path / "people.csv"), "--quiet"]
    assert main(load) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["warnings"] == {
        "manifest.absent_column": 1
    }
    assert "warning: manifest.absent_column: 1" in captured.err


def test_a_loaded_rows_warning_stays_in_its_ledger_detail(
    settings: Settings, messy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The registration wrote the warning into the row's detail, and the row's end replaced it
    with the document's (empty) detail: `reconcile --rows` no longer said why a row was undated."""
    load = ["load", str(messy / "manifest.csv"), "--people", str(messy / "people.csv")]
    assert main([*load, "--quiet"]) == 0
    batch = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["batch"]
    rows_file = tmp_path / "rows.csv"
    assert main(["reconcile", batch, "--rows", str(rows_file)]) == 0
    with rows_file.open(encoding="utf-8") as handle:
        rows = {r["line_no"]: r for r in csv.DictReader(handle)}
    assert rows["7"]["state"] == "indexed"
    assert "'31/02/2021' is not a real date" in rows["7"]["detail"]
    assert "unreadable date '2nd April 2019'" in rows["8"]["detail"]
    assert rows["5"]["state"] == "indexed" and rows["5"]["detail"] == ""


def test_files_no_manifest_row_names_are_listed_as_a_warning(
    settings: Settings, messy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file in the archive that no row names was never loaded and never reported: the
    reconciliation counts rows, so it could not say a file was left out."""
    (messy / "files" / "Client 7").mkdir()
    (messy / "files" / "Client 7" / "letter #2.pdf").write_bytes(b"%PDF-1.4 unlisted")
    (messy / "files" / "Thumbs.db").write_bytes(b"shell cache")  # Windows' own, not a document
    (messy / "files" / ".DS_Store").write_bytes(b"shell cache")
    mapping = messy / "mapping.yaml"
    mapping.write_text("encodings: [utf-8]\n", encoding="utf-8")
    settings.home.mkdir(parents=True, exist_ok=True)  # ESCR_HOME inside the archive folder
    (settings.home / "catalog.sqlite").write_bytes(b"")
    assert main([*_check(messy), "--mapping", str(mapping), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert _problems(report)["archive.unlisted_file"] == [
        (
            None,
            "files/Client 7/letter #2.pdf is in the archive folder but no manifest row loads it",
        )
    ]
    # The manifest, the people file, the mapping and escr's own home are not documents.
    assert report["warnings"] == 6


def test_the_mappings_legacy_id_system_is_the_crosswalks_system(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ESCR document store exports its own name as source_system while its rows carry PARIS
    client numbers: the mapping's legacy_id_system was read and never used, so nothing linked."""
    make_tiny_archive(tmp_path)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST.replace("\nPARIS,", "\nDOCSTORE,"), encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("legacy_id_system: paris\n", encoding="utf-8")
    load = ["load", str(manifest), "--people", str(tmp_path / "people.csv"), "--quiet"]
    assert main([*load, "--mapping", str(mapping)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["linked"], summary["unlinked"]) == (2, 1)  # D3 names no one


def test_a_refused_manifest_leaves_no_batch_behind(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The batch was made before the file was read: every refused manifest (a repeated column,
    a quote never closed) left a batch 'registering' with no rows in `escr batches` forever."""
    make_tiny_archive(tmp_path)
    manifest = tmp_path / "manifest.csv"
    unclosed = 'PARIS,D9,100,files/visit.txt,"Open,X,,\nPARIS,D10,100,files/plan.txt,t,,,\n'
    manifest.write_text(MANIFEST + unclosed, encoding="utf-8")
    load = ["load", str(manifest), "--people", str(tmp_path / "people.csv"), "--quiet"]
    assert main(load) == 2
    assert "manifest.csv line 5: a quote opened on this row is never closed" in (
        capsys.readouterr().err
    )
    with session_factory(settings.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0
    manifest.write_text(MANIFEST, encoding="utf-8")  # corrected: loads as a batch of its own
    assert main(load) == 0
