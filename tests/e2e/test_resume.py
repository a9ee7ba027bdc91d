"""A load killed with SIGKILL at any point completes on the next run, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.db import session_factory
from catalog.models import Document
from core.settings import Settings
from tests.e2e.test_migration import _load, _rows, assert_matches_ground_truth


def _finished_rows(catalog: Path) -> int:
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM ledger WHERE state IN ('indexed', 'quarantined')"
            ).fetchone()
            return int(count)
    except sqlite3.OperationalError:
        return 0  # tables not created yet


@pytest.mark.parametrize("kill_after_rows", [3, 25])
def test_sigkill_then_rerun_completes_the_batch(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    tmp_path: Path,
    kill_after_rows: int,
) -> None:
    # Only the embedded backends: `make test` exports the scale-out services' ESCR_* settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    env["ESCR_HOME"] = str(settings.home)
    loader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "load",
            str(archive_dir / "manifest.csv"),
            "--people",
            str(archive_dir / "people.csv"),
            "--workers",
            "2",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _finished_rows(settings.home / "catalog.sqlite") < kill_after_rows:
        assert loader.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline, "the load made no progress"
        time.sleep(0.05)
    os.killpg(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    assert _finished_rows(settings.home / "catalog.sqlite") < len(expected)

    summary = _load(settings, archive_dir)
    assert summary["unaccounted"] == 0
    assert_matches_ground_truth(
        _rows(settings, str(summary["batch"]), tmp_path / "r.csv"), expected
    )
    with session_factory(settings.database_url)() as session:
        top_level = session.scalar(
            select(func.count()).select_from(Document).where(Document.parent_id.is_(None))
        )
        distinct = session.scalar(
            select(func.count(func.distinct(Document.source_document_id))).where(
                Document.parent_id.is_(None)
            )
        )
    assert top_level == distinct  # no document created twice
