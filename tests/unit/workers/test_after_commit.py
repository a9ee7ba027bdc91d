"""Work after commit, registered once (catalog.db.after_commit): no runner writes to the
search index or sends a task before the catalog holds what they point at."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from catalog.db import after_commit, session_factory
from catalog.models import Document
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
