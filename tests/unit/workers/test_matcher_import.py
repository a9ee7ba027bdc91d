"""The loader imports the matcher (Splink, DuckDB, Arrow: 0.4 s of CPU) on a thread of its own
once a document waits for it, while the sandbox children read files, not at the end of the
load when they are idle (docs/decisions/0036)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, get_settings
from workers import local_runner
from workers.load import load_archive
from workers.matching import settle
from workers.matching.match import matcher_for as real_matcher_for
from workers.synth.archive import make_archive


def _watch(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, in order, the import on its thread and each time the matcher is asked for."""
    seen: list[str] = []
    real_import = local_runner._import_matcher

    def import_matcher() -> None:
        seen.append(f"import on {threading.current_thread().name}")
        real_import()

    def matcher_for(session: Any) -> Any:
        seen.append("matcher_for")
        return real_matcher_for(session)

    monkeypatch.setattr(local_runner, "_import_matcher", import_matcher)
    monkeypatch.setattr(settle, "matcher_for", matcher_for)
    return seen


def test_the_matcher_is_imported_on_a_thread_before_the_deferred_documents_are_matched(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = make_archive(tmp_path / "a", seed=5, people=20, docs=200, profile="realistic")
    seen = _watch(monkeypatch)
    summary = load_archive(
        settings,
        manifest=archive.manifest_path,
        people=archive.people_path,
        workers=1,
        progress=False,
    )
    assert summary["unlinked"] + summary["linked"] == summary["indexed"] == 200
    # The realistic archive has documents the crosswalk cannot link: they were matched, once,
    # after the import had started on its own thread (once, however many pages deferred).
    assert seen == ["import on matcher-import", "matcher_for"], seen


def test_no_matcher_import_when_no_document_waits_for_the_matcher(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCR_LINK__MATCHING", "false")  # the crosswalk-only linker
    get_settings.cache_clear()
    archive = make_archive(tmp_path / "a", seed=5, people=20, docs=60, profile="realistic")
    seen = _watch(monkeypatch)
    summary = load_archive(
        get_settings(),
        manifest=archive.manifest_path,
        people=archive.people_path,
        workers=1,
        progress=False,
    )
    assert summary["indexed"] == 60 and summary["unlinked"] > 0  # unlinked, never matched
    assert seen == []
