"""Work after commit, registered once (catalog.db.after_commit): no runner writes to the
search index or sends a task before the catalog holds what they point at."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from catalog.db import after_commit, session_factory
from catalog.models import Document
from core.errors import TransientBackendError
from core.settings import Settings
from core.states import RowState
from indexer.base import SearchDocument, SearchIndex
from tests.factories.emails import make_email_archive
from workers import load, local_runner, tasks
from workers.load import load_archive


def test_work_runs_once_the_transaction_commits_and_never_after_a_rollback(
    settings: Settings,
) -> None:
    done: list[str] = []
    with session_factory(settings.database_url)() as session:
        session.execute(text("SELECT 1"))
        after_commit(session, lambda: done.append("committed"))
        session.flush()
        assert done == []
        session.commit()
        assert done == ["committed"]
        session.commit()  # once only
        assert done == ["committed"]
        after_commit(session, lambda: done.append("rolled back"))
        session.rollback()
        session.commit()
        assert done == ["committed"]


def test_work_of_a_savepoint_waits_for_the_commit_and_goes_with_a_rolled_back_one(
    settings: Settings,
) -> None:
    done: list[str] = []
    with session_factory(settings.database_url)() as session:
        session.execute(text("SELECT 1"))
        with session.begin_nested():
            after_commit(session, lambda: done.append("released"))
        assert done == []  # a released savepoint is not a commit
        with pytest.raises(ValueError), session.begin_nested():
            after_commit(session, lambda: done.append("rolled back"))
            raise ValueError
        with session.begin_nested(), session.begin_nested():
            after_commit(session, lambda: done.append("inner"))
        session.commit()
    assert done == ["released", "inner"]


class _CommittedFirst:
    """A search index that notes every document written to it before its catalog row has
    committed as pending_index, as another process reading the catalog would see it."""

    def __init__(self, index: SearchIndex, database_url: str) -> None:
        self.index, self.factory = index, session_factory(database_url)
        self.written: set[int] = set()
        self.ahead: set[int] = set()

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        documents = list(documents)
        ids = {document.document_id for document in documents}
        with self.factory() as reader:
            committed = set(
                reader.scalars(
                    select(Document.id).where(
                        Document.id.in_(ids), Document.state == RowState.PENDING_INDEX
                    )
                )
            )
        self.ahead |= ids - committed
        self.written |= ids
        return self.index.upsert(documents)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def test_the_local_runner_writes_to_the_index_only_what_the_catalog_has_committed(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = make_email_archive(tmp_path / "archive", 6, 30)
    indexes: list[_CommittedFirst] = []

    def checking_index(settings: Settings) -> Any:
        indexes.append(_CommittedFirst(make_index(settings), settings.database_url))
        return indexes[-1]

    make_index = load.make_index
    monkeypatch.setattr(load, "make_index", checking_index)
    monkeypatch.setattr(local_runner, "INDEX_EVERY", 1)  # index as soon as anything is due
    summary = load_archive(
        settings, manifest=archive.manifest, people=archive.people, workers=1, progress=False
    )
    assert summary["unaccounted"] == 0
    (index,) = indexes
    with session_factory(settings.database_url)() as session:
        documents = session.scalar(select(func.count(Document.id)))
    assert len(index.written) == documents  # every document indexed
    assert index.ahead == set()


def test_the_celery_runner_sends_the_next_stage_only_once_committed(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = make_email_archive(tmp_path / "archive", 2)
    load_archive(settings, manifest=archive.manifest, people=archive.people, progress=False)
    sent: list[tuple[str, int]] = []
    for name in ("extract", "ocr", "index"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda i, name=name: sent.append((name, i)))
    with session_factory(settings.database_url)() as session:
        first, second = session.scalars(select(Document).order_by(Document.id).limit(2))
        first.state, second.state = RowState.PENDING_INDEX, RowState.PENDING_INDEX
        tasks._advance(session, [first])
        session.flush()
        assert sent == []
        session.rollback()
        assert sent == []  # rolled back: the task would have found nothing to do
        first.state = RowState.PENDING_INDEX
        tasks._advance(session, [first])
        session.commit()
    assert sent == [("index", first.id)]


class _SlowWrites:
    """A search index whose writes take a while (`fail_on`: the write of that number raises),
    noting any document the catalog had committed `indexed` before its write had returned."""

    def __init__(self, index: SearchIndex, database_url: str, fail_on: int = 0) -> None:
        self.index, self.factory, self.fail_on = index, session_factory(database_url), fail_on
        self.calls = 0
        self.marked_early: set[int] = set()

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        documents = list(documents)
        self.calls += 1
        # Longer than the runner's COMMIT_EVERY_S: a runner that did not wait commits meanwhile.
        time.sleep(0.6)
        ids = {document.document_id for document in documents}
        with self.factory() as reader:
            self.marked_early |= set(
                reader.scalars(
                    select(Document.id).where(
                        Document.id.in_(ids), Document.state == RowState.INDEXED
                    )
                )
            )
        if self.calls == self.fail_on:
            raise TransientBackendError("the index went away")
        return self.index.upsert(documents)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def _load_with(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: int = 0
) -> tuple[_SlowWrites, Any]:
    archive = make_email_archive(tmp_path / "archive", 4, 30)
    indexes: list[_SlowWrites] = []

    def slow_index(settings: Settings) -> Any:
        indexes.append(_SlowWrites(make_index(settings), settings.database_url, fail_on))
        return indexes[-1]

    make_index = load.make_index
    monkeypatch.setattr(load, "make_index", slow_index)
    monkeypatch.setattr(local_runner, "INDEX_EVERY", 1)  # a write at every commit
    try:
        outcome: Any = load_archive(
            settings, manifest=archive.manifest, people=archive.people, workers=1, progress=False
        )
    except TransientBackendError as exc:
        outcome = exc
    return indexes[0], outcome


def test_the_local_runner_commits_documents_indexed_only_once_their_write_has_returned(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, summary = _load_with(settings, tmp_path, monkeypatch)
    assert summary["unaccounted"] == 0 and index.calls >= 2
    assert index.marked_early == set()
    with session_factory(settings.database_url)() as session:
        states = set(session.scalars(select(Document.state)))
    assert states == {RowState.INDEXED}


def test_a_failed_index_write_stops_the_load_and_leaves_its_documents_to_index_again(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, outcome = _load_with(settings, tmp_path, monkeypatch, fail_on=2)
    assert isinstance(outcome, TransientBackendError)
    assert index.marked_early == set()
    with session_factory(settings.database_url)() as session:
        indexed = list(session.scalars(select(Document.id).where(Document.state == "indexed")))
        waiting = session.scalar(
            select(func.count(Document.id)).where(Document.state == RowState.PENDING_INDEX)
        )
    # What the catalog says is indexed is in the index; the failed write's documents wait.
    assert all(index.index.get(document_id) is not None for document_id in indexed)
    assert waiting
