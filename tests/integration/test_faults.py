"""Faults during a Celery load on the real services: each ends with the batch complete,
matching the ground truth, nothing lost and nothing doubled."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.db import session_factory
from catalog.models import Document, LedgerRow
from core.settings import Settings
from core.states import RowState
from tests.e2e.test_migration import assert_matches_ground_truth
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from tests.integration.test_celery_pipeline import TIMEOUT_S, _documents, _load, _rows
from workers.celery_load import load_via_celery

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"


def service(action: str, name: str) -> None:
    subprocess.run([str(SERVICES), action, name], check=True, timeout=180)


@pytest.fixture
def stack(services: Services, tmp_path: Path) -> Iterator[Stack]:
    value = Stack(services, tmp_path / "home")
    value.home.mkdir()
    value.create()
    yield value
    for name in ("minio", "opensearch", "postgres"):
        service("start", name)  # whatever a failed test left stopped
    value.drop()


def _load_in_background(stack: Stack, archive: Path) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result.update(_load(stack, archive))
        except Exception as exc:  # surfaced by the assertion on `result` below
            result["error"] = repr(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _wait_until(check: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _assert_complete(
    stack: Stack, result: dict[str, object], expected: list[dict[str, str]], tmp_path: Path
) -> None:
    assert result.get("unaccounted") == 0, result
    settings = stack.settings()
    assert_matches_ground_truth(_rows(settings, str(result["batch"]), tmp_path / "r.csv"), expected)
    with session_factory(settings.database_url)() as session:
        top = select(Document).where(Document.parent_id.is_(None)).subquery()
        count = session.scalar(select(func.count()).select_from(top))
        distinct = session.scalar(select(func.count(func.distinct(top.c.source_document_id))))
    assert count == distinct


def test_minio_stopped_for_ten_seconds(
    stack: Stack, archive_dir: Path, expected: list[dict[str, str]], tmp_path: Path
) -> None:
    stack.start_worker("w1", concurrency=2)
    thread, result = _load_in_background(stack, archive_dir)
    settings = stack.settings()
    _wait_until(lambda: _documents(settings) >= 5, "the first documents")
    service("stop", "minio")
    time.sleep(10)
    service("start", "minio")
    thread.join(TIMEOUT_S + 30)
    _assert_complete(stack, result, expected, tmp_path)


def test_postgres_restarted_mid_load(
    stack: Stack, archive_dir: Path, expected: list[dict[str, str]], tmp_path: Path
) -> None:
    stack.start_worker("w1", concurrency=2)
    thread, result = _load_in_background(stack, archive_dir)
    settings = stack.settings()
    _wait_until(lambda: _documents(settings) >= 10, "the first documents")
    service("stop", "postgres")
    time.sleep(3)
    service("start", "postgres")
    thread.join(TIMEOUT_S + 30)
    _assert_complete(stack, result, expected, tmp_path)


def _states(settings: Settings, batch: str) -> dict[str, int]:
    with session_factory(settings.database_url)() as session:
        rows = session.execute(
            select(LedgerRow.state, func.count())
            .where(LedgerRow.batch == batch)
            .group_by(LedgerRow.state)
        )
        return {state: count for state, count in rows}


def test_opensearch_down_leaves_documents_pending_until_reindex(
    stack: Stack, archive_dir: Path, expected: list[dict[str, str]], tmp_path: Path
) -> None:
    service("stop", "opensearch")
    stack.start_worker("w1", concurrency=2)
    settings = stack.settings()
    queued = load_via_celery(
        settings,
        manifest=archive_dir / "manifest.csv",
        people=archive_dir / "people.csv",
        detach=True,
        progress=False,
    )
    batch = str(queued["batch"])
    # Every row ends up either terminal without the index (quarantined, duplicate) or waiting.
    waiting_states = {RowState.PENDING_INDEX, RowState.QUARANTINED, RowState.DUPLICATE}
    _wait_until(
        lambda: (
            set(_states(settings, batch)) <= waiting_states
            and _states(settings, batch).get(RowState.PENDING_INDEX, 0) > 0
        ),
        "documents waiting for the index",
        timeout_s=TIMEOUT_S,
    )
    assert RowState.INDEXED not in _states(settings, batch)
    service("start", "opensearch")
    done = subprocess.run(
        [".venv/bin/python", "-m", "cli.main", "reindex", "--pending"],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert '"indexed"' in done.stdout
    result = _load(stack, archive_dir)  # re-following the batch: every row has now ended
    _assert_complete(stack, result, expected, tmp_path)
