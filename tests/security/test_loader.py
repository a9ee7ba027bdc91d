"""Issue 11 items 5 and 11: what a careless migration officer's (or a hostile legacy system's)
manifest can do to a load. Nothing a manifest row holds stops a batch, crashes a rerun, leaves a
row unaccounted, or reaches a spreadsheet as a formula."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.factories.served import clean_env, escr

FORMULA = '=HYPERLINK("http://evil.example/","open me")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]], blank_at: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for n, row in enumerate(rows):
            if n == blank_at:
                handle.write("," * (len(fields) - 1) + "\r\n")  # a row of empty fields
            writer.writerow(row)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A small synthetic archive whose manifest gains a NUL, an escape character, a formula,
    a path out of the archive and a blank row."""
    base = tmp_path_factory.mktemp("hostile")
    env = clean_env(base / "var")
    archive = base / "archive"
    escr(env, "synth", str(archive), "--people", "4", "--docs", "10", "--seed", "9")
    fields, rows = _rows(archive / "manifest.csv")
    first = rows[0]
    rows += [
        {**first, "source_document_id": "NUL1", "title": "Visit\x00note"},
        {**first, "source_document_id": "ESC1", "created_by": "jbloggs\x1b[2J"},
        {**first, "source_document_id": FORMULA, "sha256": ""},
        {**first, "source_document_id": "UP1", "file_path": "../../../../etc/passwd", "sha256": ""},
    ]
    _write(archive / "manifest.csv", fields, rows, blank_at=3)
    return env, archive


def _load(env: dict[str, str], archive: Path) -> tuple[int, str]:
    done = escr(
        env,
        "load",
        str(archive / "manifest.csv"),
        "--people",
        str(archive / "people.csv"),
        "--batch",
        "hostile",
        "--workers",
        "1",
        "--quiet",
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_hostile_rows_are_bad_rows_and_the_batch_completes(
    hostile: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, archive = hostile
    for _ in range(2):  # the rerun must not crash either (it did, every time, on a NUL)
        code, output = _load(env, archive)
        assert "Traceback" not in output and "embedded null byte" not in output, output
        assert code in (0, 1), output
    report = tmp_path / "rows.csv"
    done = escr(env, "reconcile", "hostile", "--rows", str(report), "--json", check=False)
    assert done.returncode == 0, done.stdout + done.stderr  # 0 means unaccounted 0
    assert '"unaccounted": 0' in done.stdout
    _, lines = _rows(report)
    by_id = {line["source_document_id"]: line for line in lines}
    for source_id, reason in (("NUL1", "bad_row"), ("ESC1", "bad_row"), ("UP1", "path_escape")):
        assert (by_id[source_id]["state"], by_id[source_id]["reason"]) == ("quarantined", reason)
    assert "U+0000" in by_id["NUL1"]["detail"]  # says which character, where
    blank = [line for line in lines if not line["source_document_id"]]
    assert [(line["state"], line["reason"]) for line in blank] == [("quarantined", "bad_row")]


def test_the_row_report_holds_no_formula(
    hostile: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, archive = hostile
    _load(env, archive)
    report = tmp_path / "rows.csv"
    escr(env, "reconcile", "hostile", "--rows", str(report), check=False)
    _, lines = _rows(report)
    cells = [value for line in lines for value in line.values() if value]
    assert "'" + FORMULA in cells
    assert [c for c in cells if c.startswith(FORMULA_STARTS)] == []


def test_a_people_file_with_one_person_twice_is_refused_naming_both_lines(
    hostile: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, archive = hostile
    fields, people = _rows(archive / "people.csv")
    doubled = tmp_path / "people.csv"
    with doubled.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows([*people, {**people[0], "given_name": "Someone else"}])
    done = escr(
        env,
        "load",
        str(archive / "manifest.csv"),
        "--people",
        str(doubled),
        "--batch",
        "doubled",
        "--quiet",
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output
    assert people[0]["person_id"] in output
    # Both lines named as the file's editor numbers them (the header is line 1).
    assert f"lines 2 and {len(people) + 2}" in output, output
