"""Sending a committed upload to the pipeline: the embedded runner of this process
(workers/intake_runner.py) or the Celery workers' `escr.ingest` (ESCR_INTAKE__RUNNER)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from catalog.db import session_factory
from catalog.ledger import UPLOAD_BATCH_PREFIX
from catalog.models import Batch
from core.settings import Settings, get_settings
from indexer.base import SearchIndex
from indexer.factory import make_index
from retention import appraise
from retention.periods import server_today
from retention.rules import current_evaluator
from storage.base import BlobStore
from storage.factory import make_blob_store
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


def resume_uploads(app: FastAPI, settings: Settings) -> int:
    """Uploads a stopped server accepted but did not finish, sent to the embedded runner again
    (each batch resumes from its ledger, as `escr load` does); how many. Celery's are the
    broker's to redeliver."""
    if settings.intake.runner != "embedded":
        return 0
    try:
        with session_factory(settings.database_url)() as session:
            names = session.scalars(
                select(Batch.name)
                .where(Batch.name.like(f"{UPLOAD_BATCH_PREFIX}%"), Batch.status != "complete")
                .order_by(Batch.started_at)
            ).all()
    except DBAPIError:  # a catalog not migrated yet has no uploads
        return 0
    if names:
        if getattr(app.state, "store", None) is None:
            app.state.store = make_blob_store(settings)
        if getattr(app.state, "index", None) is None:
            app.state.index = make_index(settings)
        intake = embedded_intake(app, settings, app.state.store, app.state.index)
        for name in names:
            intake.submit(name)
    return len(names)


def with_intake(inner: Lifespan) -> Lifespan:
    """The app's lifespan with unfinished uploads resumed at the start and the embedded runner
    stopped at the end (its thread finishes the upload in hand, its sandbox children exit)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            resume_uploads(app, get_settings())
            try:
                yield
            finally:
                intake: EmbeddedIntake | None = getattr(app.state, "intake", None)
                if intake is not None:
                    intake.close()
                    app.state.intake = None

    return lifespan
