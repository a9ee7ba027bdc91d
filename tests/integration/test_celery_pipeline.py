"""The synthetic archive through Celery on PostgreSQL, MinIO, OpenSearch and RabbitMQ, with two
real workers, against the ground truth and against the embedded run of the same archive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.db import session_factory
from catalog.models import Document
from catalog.reconcile import write_row_report
from core.settings import DatabaseSettings, IndexSettings, Settings, StorageSettings
from indexer.base import SearchQuery
from indexer.factory import make_index
from tests.e2e.conftest import row_report
from tests.e2e.test_migration import assert_matches_ground_truth
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from workers.celery_load import load_via_celery
from workers.load import load_archive

pytestmark = pytest.mark.integration
TIMEOUT_S = 420


@pytest.fixture
def stack(services: Services, tmp_path: Path) -> Iterator[Stack]:
    value = Stack(services, tmp_path / "home")
    value.home.mkdir()
    value.create()
    yield value
    value.drop()


def _rows(settings: Settings, batch: str, out: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with session_factory(settings.database_url)() as session:
        write_row_report(session, batch, out)
    return row_report(out)


def _load(stack: Stack, archive: Path) -> dict[str, object]:
    return load_via_celery(
        stack.settings(),
        manifest=archive / "manifest.csv",
        people=archive / "people.csv",
        progress=False,
        timeout_s=TIMEOUT_S,
    )


def _phrase_hits(settings: Settings, phrases: list[str]) -> dict[str, set[str]]:
    index = make_index(settings)
    return {
        p: {h.source_document_id for h in index.search(SearchQuery(text=p, limit=50)).hits}
        for p in phrases
    }


def test_celery_run_matches_ground_truth_and_the_embedded_run(
    stack: Stack, archive_dir: Path, expected: list[dict[str, str]], tmp_path: Path
) -> None:
    stack.start_worker("w1")
    stack.start_worker("w2")
    summary = _load(stack, archive_dir)
    assert summary["unaccounted"] == 0
    scaled = stack.settings()
    rows = _rows(scaled, str(summary["batch"]), tmp_path / "scaled.csv")
    assert_matches_ground_truth(rows, expected)

    embedded = Settings(
        home=tmp_path / "embedded",
        database=DatabaseSettings(url=""),
        storage=StorageSettings(backend="local"),
        index=IndexSettings(backend="embedded"),
    )
    local = load_archive(
        embedded,
        manifest=archive_dir / "manifest.csv",
        people=archive_dir / "people.csv",
        workers=2,
        progress=False,
    )
    for key in (
        "rows",
        "indexed",
        "quarantined",
        "linked",
        "unlinked",
        "duplicates",
        "duplicate_rows",
        "attachments",
        "unaccounted",
    ):
        assert summary[key] == local[key], key
    phrases = [r["phrase"] for r in expected if r["phrase"] and r["expected_state"] == "indexed"]
    assert _phrase_hits(scaled, phrases) == _phrase_hits(embedded, phrases)


def test_worker_killed_mid_task_loses_and_doubles_nothing(
    stack: Stack, archive_dir: Path, expected: list[dict[str, str]], tmp_path: Path
) -> None:
    victim = stack.start_worker("victim", concurrency=2)
    result: dict[str, object] = {}
    loader = threading.Thread(target=lambda: result.update(_load(stack, archive_dir)))
    loader.start()
    settings = stack.settings()
    deadline = time.monotonic() + 120
    while _documents(settings) < 10:  # let it get well into the work, mid-task
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.2)
    stack.kill_worker(victim)
    stack.start_worker("survivor", concurrency=2)
    loader.join(TIMEOUT_S + 30)
    assert result.get("unaccounted") == 0, result
    rows = _rows(settings, str(result["batch"]), tmp_path / "rows.csv")
    assert_matches_ground_truth(rows, expected)
    with session_factory(settings.database_url)() as session:
        top = select(Document).where(Document.parent_id.is_(None)).subquery()
        count = session.scalar(select(func.count()).select_from(top))
        distinct = session.scalar(select(func.count(func.distinct(top.c.source_document_id))))
    assert count == distinct


def _documents(settings: Settings) -> int:
    try:
        with session_factory(settings.database_url)() as session:
            return int(session.scalar(select(func.count()).select_from(Document)) or 0)
    except Exception:  # the schema may not exist yet while the loader registers
        return 0
