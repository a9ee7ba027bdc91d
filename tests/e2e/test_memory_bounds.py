"""The loader keeps no more text in memory than its budget: the index is written sooner."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.e2e.test_migration import _load, _rows, assert_matches_ground_truth
from workers import local_runner


def test_texts_waiting_for_the_index_are_bounded(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    real = local_runner.LocalRunner._flush_index

    def flush(self: local_runner.LocalRunner) -> None:
        seen.append(local_runner.cached_text_chars(self.session))
        real(self)

    monkeypatch.setattr(local_runner, "INDEX_TEXT_CHARS", 2_000)
    monkeypatch.setattr(local_runner.LocalRunner, "_flush_index", flush)
    summary = _load(settings, archive_dir)
    assert summary["unaccounted"] == 0
    assert_matches_ground_truth(
        _rows(settings, str(summary["batch"]), tmp_path / "r.csv"), expected
    )
    # INDEX_EVERY alone would write once, at the end, for this archive of one page of rows;
    # the budget writes after each group of texts that passes it.
    assert len(expected) < local_runner.INDEX_EVERY
    assert len(seen) >= 2
    assert all(chars >= 2_000 for chars in seen[:-1])
