"""Our own bug on one row fails that row with a reason, and every other row of its group (a
page of rows, or a set of finished extractions) still ends where the ground truth says."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from tests.e2e.test_migration import _load, _rows
from workers import pipeline
from workers.load import load_archive


def _indexed(expected: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in expected if row["expected_state"] == "indexed"]


def _check(
    settings: Settings,
    summary: dict[str, object],
    expected: list[dict[str, str]],
    victim: str,
    tmp_path: Path,
) -> None:
    rows = _rows(settings, str(summary["batch"]), tmp_path / "rows.csv")
    assert summary["unaccounted"] == 0
    assert summary["failed_this_run"] == 1
    failed = [r for r in rows.values() if r["state"] == "failed"]
    assert [r["source_document_id"] for r in failed] == [victim]
    assert failed[0]["reason"] == "internal_error"
    for want in expected:
        if want["source_document_id"] == victim:
            continue
        got = rows[(want["line_no"], want["source_system"], want["source_document_id"])]
        assert (got["state"], got["reason"]) == (want["expected_state"], want["expected_reason"])


def test_a_bug_while_recording_a_row(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    victim = _indexed(expected)[3]["source_document_id"]
    real = pipeline._record_on_row

    def record_on_row(row: Any, *args: Any) -> None:
        if row.source_document_id == victim:
            raise RuntimeError("a bug of ours")
        real(row, *args)

    monkeypatch.setattr(pipeline, "_record_on_row", record_on_row)
    _check(settings, _load(settings, archive_dir), expected, victim, tmp_path)


def test_a_bug_after_extraction(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    victim = _indexed(expected)[5]["source_document_id"]
    real = pipeline.link_document

    def link_document(session: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        if document.source_document_id == victim:
            raise RuntimeError("a bug of ours")
        return real(session, document, *args, **kwargs)

    monkeypatch.setattr(pipeline, "link_document", link_document)
    _check(settings, _load(settings, archive_dir), expected, victim, tmp_path)


def test_a_file_name_the_filesystem_refuses_ends_its_row_only(
    settings: Settings, tmp_path: Path
) -> None:
    """The path is checked on a thread before the catalog sees the row: an OSError there (here
    ENAMETOOLONG) must quarantine the row, not stop the load."""
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "ok.txt").write_text("a note about the visit")
    (archive / "manifest.csv").write_text(
        "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type\n"
        "PARIS,A1,1,ok.txt,Note,CNOTE\n"
        f"PARIS,A2,1,{'a' * 300}.pdf,Long,CNOTE\n",
        encoding="utf-8",
    )
    (archive / "people.csv").write_text(
        "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,"
        "date_of_death,nhs_number,service\nMOS1,Mosaic,PARIS:1,Ann,Ash,2010-01-01,,,children\n",
        encoding="utf-8",
    )
    summary = _load(settings, archive)
    assert summary["unaccounted"] == 0 and summary["indexed"] == 1
    assert summary["quarantined"] == {"missing_file": 1}


def test_progress_counts_every_row(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rows that ended at registration (duplicates, bad rows) are on the bar too: it ends at
    the manifest's row count, not short of it."""
    assert any(row["expected_state"] == "duplicate" for row in expected)
    load_archive(
        settings,
        manifest=archive_dir / "manifest.csv",
        people=archive_dir / "people.csv",
        workers=2,
        progress=True,
    )
    bar = capsys.readouterr().err
    assert f"{len(expected)}/{len(expected)}" in bar


def test_a_store_failure_fails_rows_not_the_load(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Storing happens on a thread, a list of files at a time: an error there (here a store
    that refuses one file) fails the rows of that list with internal_error; the others end
    where the ground truth says, and the load completes."""
    victim = _indexed(expected)[2]["source_document_id"]
    with (archive_dir / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        victim_file = next(
            Path(m["file_path"]).name
            for m in csv.DictReader(handle)
            if m["source_document_id"] == victim
        )
    real = pipeline.store_spooled

    def store_spooled(spooled: Any, store: Any) -> Any:
        if spooled.original_name == victim_file:
            raise RuntimeError("the store is down")
        return real(spooled, store)

    monkeypatch.setattr(pipeline, "store_spooled", store_spooled)
    summary = _load(settings, archive_dir)
    rows = _rows(settings, str(summary["batch"]), tmp_path / "rows.csv")
    assert summary["unaccounted"] == 0
    failed = {r["source_document_id"] for r in rows.values() if r["state"] == "failed"}
    assert victim in failed
    assert all(r["reason"] == "internal_error" for r in rows.values() if r["state"] == "failed")
    for want in expected:
        if want["source_document_id"] in failed:
            continue
        got = rows[(want["line_no"], want["source_system"], want["source_document_id"])]
        assert (got["state"], got["reason"]) == (want["expected_state"], want["expected_reason"])
