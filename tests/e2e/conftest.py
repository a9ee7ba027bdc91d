"""A synthetic archive with ground truth, generated once per session (it is read-only)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.factories.archive import make_archive


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("archive")
    make_archive(out, seed=3, people=12, docs=60)
    return out


@pytest.fixture(scope="session")
def expected(archive_dir: Path) -> list[dict[str, str]]:
    with (archive_dir / "expected.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def row_report(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (r["line_no"], r["source_system"], r["source_document_id"]): r
            for r in csv.DictReader(handle)
        }
