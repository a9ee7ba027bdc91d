"""Shared fixtures: an isolated ESCR_HOME per test, with the embedded backends."""

from __future__ import annotations

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
