"""One failure recorder (pipeline.record_failure): each Celery task names where its permanent
failure goes (stages.Failure), and the local runner records through the same function."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document, LedgerRow
from core.errors import TransientBackendError
from core.settings import Settings
from core.states import Reason, RowState
from tests.factories.emails import make_email_archive
from workers import pipeline, tasks
from workers.load import load_archive
from workers.stages import DOCUMENT_FAILURE


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> str:
    archive = make_email_archive(tmp_path / "archive", 2)
    summary = load_archive(
        settings, manifest=archive.manifest, people=archive.people, workers=1, progress=False
    )
    return str(summary["batch"])


def _manifest_document(settings: Settings, state: RowState) -> tuple[int, int]:
    """A manifest document (and its ledger row) put back in `state`."""
    with session_factory(settings.database_url)() as session:
        row = session.scalars(select(LedgerRow).order_by(LedgerRow.id).limit(1)).one()
        assert row.document_id is not None
        document = session.get(Document, row.document_id)
        assert document is not None
        document.state = row.state = state
        session.commit()
        return document.id, row.id


def _states(settings: Settings, document_id: int, row_id: int) -> tuple[str, str, str | None]:
    with session_factory(settings.database_url)() as session:
        document, row = session.get(Document, document_id), session.get(LedgerRow, row_id)
        assert document is not None and row is not None
        return document.state, row.state, row.reason


def test_the_index_down_leaves_documents_waiting_and_a_bug_fails_them_with_their_rows(
    settings: Settings, loaded: str
) -> None:
    document_id, row_id = _manifest_document(settings, RowState.PENDING_INDEX)
    tasks.index.on_failure(TransientBackendError("down"), "t1", (document_id,), {}, None)
    assert _states(settings, document_id, row_id)[0] == RowState.PENDING_INDEX
    tasks.index.on_failure(ValueError("bug"), "t2", (document_id,), {}, None)
    assert _states(settings, document_id, row_id) == (
        RowState.FAILED,
        RowState.FAILED,
        Reason.INTERNAL_ERROR,
    )


def test_an_ingest_failure_goes_on_the_row_and_a_finished_target_is_left_as_it_is(
    settings: Settings, loaded: str
) -> None:
    document_id, row_id = _manifest_document(settings, RowState.STORED)
    tasks.ingest.on_failure(ValueError("bug"), "t1", (row_id,), {}, None)
    assert _states(settings, document_id, row_id)[1:] == (RowState.FAILED, Reason.INTERNAL_ERROR)
    document_id, row_id = _manifest_document(settings, RowState.INDEXED)
    # A redelivered task failing after another delivery finished the document.
    tasks.extract.on_failure(ValueError("late"), "t2", (document_id,), {}, None)
    assert _states(settings, document_id, row_id)[:2] == (RowState.INDEXED, RowState.INDEXED)


def test_every_task_names_its_failure() -> None:
    for name in ("ingest", "extract", "ocr", "ocr_pages", "index"):
        assert isinstance(getattr(tasks, name).failure, type(DOCUMENT_FAILURE)), name


def test_the_local_runner_overwrites_what_its_own_rolled_back_work_left(
    settings: Settings, loaded: str
) -> None:
    """Without if_unfinished (the local runner's own group failed on this document), the
    document fails whatever state its earlier run left."""
    document_id, row_id = _manifest_document(settings, RowState.INDEXED)
    with session_factory(settings.database_url)() as session:
        pipeline.record_failure(
            session, DOCUMENT_FAILURE, document_id, "bug", pipeline.utcnow(), batch=loaded
        )
        session.commit()
    assert _states(settings, document_id, row_id)[:2] == (RowState.FAILED, RowState.FAILED)
