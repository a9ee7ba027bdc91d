"""Sending a committed upload to the pipeline: the embedded runner of this process
(workers/intake_runner.py) or the Celery workers' `escr.ingest` (ESCR_INTAKE__RUNNER)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from fastapi import FastAPI
from sqlalchemy.orm import Session

from core.settings import Settings
from indexer.base import SearchIndex
from retention import appraise
from retention.periods import server_today
from retention.rules import current_evaluator
from storage.base import BlobStore
from workers.intake import Intake
from workers.intake_runner import EmbeddedIntake
from workers.learn_types import current_model
from workers.pipeline import Context
from workers.sources.mapping import load_mapping


def embedded_intake(
    app: FastAPI, settings: Settings, store: BlobStore, index: SearchIndex
) -> EmbeddedIntake:
    """The app's one embedded runner, sharing its store and index (made on first upload)."""
    if getattr(app.state, "intake", None) is None:
        ctx = Context(
            store=store,
            index=index,
            mapping=load_mapping(),
            tmp_dir=settings.tmp_dir,
            type_model=current_model(settings.home),
        )
        app.state.intake = EmbeddedIntake(
            settings,
            ctx,
            settings.intake.workers,
            after=partial(evaluate_retention, settings, store),
        )
    intake: EmbeddedIntake = app.state.intake
    return intake


def evaluate_retention(
    settings: Settings, store: BlobStore | None, session: Session, document_ids: list[int]
) -> None:
    """An uploaded document's retention, once indexed: its record class and disposal date
    from the schedule in force, as a sweep would decide (the caller commits)."""
    if document_ids:
        evaluator = current_evaluator(session, settings.home, actor="escr")
        appraise.evaluate(
            session, evaluator, today=server_today(), store=store, document_ids=document_ids
        )


def dispatch(
    app: FastAPI, settings: Settings, store: BlobStore, index: SearchIndex, intake: Intake
) -> None:
    """Run once the upload's rows are committed (catalog.db.after_commit): it only sends."""
    if settings.intake.runner == "celery":
        from workers.celery_app import configure  # the Celery app only where it is used
        from workers.tasks import ingest

        configure(settings)
        ingest.delay(intake.ledger_id)
    else:
        embedded_intake(app, settings, store, index).submit(intake.batch)


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def with_intake(inner: Lifespan) -> Lifespan:
    """The app's lifespan with the embedded runner stopped at the end (its thread finishes
    the upload in hand, its sandbox children exit)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            try:
                yield
            finally:
                intake: EmbeddedIntake | None = getattr(app.state, "intake", None)
                if intake is not None:
                    intake.close()
                    app.state.intake = None

    return lifespan
