"""Shared fixtures: an isolated ESCR_HOME per test, with the embedded backends."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    home = tmp_path / "var"
    monkeypatch.setenv("ESCR_HOME", str(home))
    for name in ("ESCR_DATABASE__URL", "ESCR_STORAGE__BACKEND", "ESCR_INDEX__BACKEND"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    value = get_settings()
    yield value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic archive with ground truth (read-only: tests that change it copy it)."""
    from tests.factories.archive import make_archive

    out = tmp_path_factory.mktemp("archive")
    make_archive(out, seed=3, people=12, docs=60)
    return out


@pytest.fixture(scope="session")
def expected(archive_dir: Path) -> list[dict[str, str]]:
    with (archive_dir / "expected.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
