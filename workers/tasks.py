"""Celery tasks: one per stage, each taking an ID, reading its inputs from the catalog and the
blob store, writing its result with a state, and queueing the next stage.

Only TransientBackendError is retried (backoff with jitter); anything else ends the document
as `failed` with the reason, so nothing is silently lost. Batch completion is counted in the
catalog (the ledger), not with chords.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from celery import Task
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from catalog import ledger
from catalog.db import session_factory
from catalog.models import Batch, Document, LedgerRow
from core.errors import TransientBackendError
from core.logging import get_logger
from core.settings import get_settings
from core.states import Reason, RowState
from storage.base import content_key
from workers import pipeline
from workers.attachments import add_attachments
from workers.celery_app import app
from workers.load import limits_from, make_context
from workers.sandbox import SandboxPool

log = get_logger(__name__)


class StageTask(Task):  # type: ignore[misc]
    """A stage whose permanent failure is recorded on the row or document, never lost."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        detail = f"{type(exc).__name__}: {exc}"[:500]
        log.error("task.failed", task=self.name, target=args[0] if args else None)
        if self.name == "escr.index" and isinstance(exc, TransientBackendError):
            # The index is down: documents stay `pending_index` for `escr reindex --pending`
            # (or the next index task) rather than being called failed.
            log.warning("index.pending", target=args[0] if args else None)
            return
        with _session() as session:
            if self.name == "escr.ingest":
                row = session.get(LedgerRow, args[0])
                if row is not None and not RowState(row.state).terminal:
                    row.state, row.reason, row.detail = (
                        RowState.FAILED,
                        Reason.INTERNAL_ERROR,
                        detail,
                    )
                return
            document = session.get(Document, args[0])
            if document is not None and not RowState(document.state).terminal:
                document.state, document.reason = RowState.FAILED, Reason.INTERNAL_ERROR
                document.detail = detail
                _sync(session, document)


RETRY = dict(
    base=StageTask,
    # A database that restarts mid-load drops connections (OperationalError): retry those too.
    autoretry_for=(TransientBackendError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
)
INDEX_BATCH = 200
# Mime types that are OCR work from the start: they go to the ocr queue.
OCR_MIMES = ("image/",)


_context_lock = threading.Lock()


@cache
def _cached_context() -> pipeline.Context:
    return make_context(get_settings())


def _context() -> pipeline.Context:
    """The backends, made once per worker process (worker threads share them)."""
    with _context_lock:
        return _cached_context()


_pool_lock = threading.Lock()
_pool: SandboxPool | None = None


def _sandbox() -> SandboxPool:
    """One sandbox pool per worker process, as wide as the worker's thread pool."""
    global _pool
    with _pool_lock:
        if _pool is None:
            settings = get_settings()
            concurrency = int(app.conf.worker_concurrency or 1)
            _pool = SandboxPool(concurrency, limits_from(settings), settings.tmp_dir)
        return _pool


@contextmanager
def _session() -> Iterator[Session]:
    session = session_factory(get_settings().database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _sync(session: Session, document: Document) -> None:
    if document.parent_id is None:
        ledger.sync_document_rows(
            session,
            document.batch,
            document.id,
            document.state,
            document.reason,
            document.detail,
            pipeline.utcnow(),
        )


def _next(session: Session, document: Document) -> None:
    """Queue the stage the document needs next (after the caller's commit)."""
    state = RowState(document.state)
    document_id = document.id
    if state == RowState.STORED:
        if pipeline.reuse_extraction(session, document):
            state = RowState.EXTRACTED
        else:
            task = ocr if document.mime.startswith(OCR_MIMES) else extract
            session.info.setdefault("after_commit", []).append(lambda: task.delay(document_id))
            return
    if state == RowState.EXTRACTED:
        pipeline.classify_and_link(_context(), session, document)
        state = RowState.PENDING_INDEX
    if state == RowState.PENDING_INDEX:
        session.info.setdefault("after_commit", []).append(lambda: index.delay(document_id))
    _sync(session, document)


def _run_after_commit(session: Session) -> None:
    """Tasks are sent only once the rows they will read are committed."""
    for send in session.info.pop("after_commit", []):
        send()


@app.task(name="escr.ingest", **RETRY)  # type: ignore[untyped-decorator]
def ingest(ledger_id: int) -> int:
    """Store one manifest row's file and take its document as far as it can go here."""
    with _session() as session:
        row = session.get(LedgerRow, ledger_id)
        if row is None or row.state in (RowState.DUPLICATE,) or row.reason == Reason.BAD_ROW:
            return ledger_id
        batch = session.get(Batch, row.batch)
        assert batch is not None
        document, _change = pipeline.ingest_row(
            _context(), session, row, Path(batch.manifest_path).parent
        )
        if document is not None:
            _next(session, document)
        session.commit()
        _run_after_commit(session)
    return ledger_id


@app.task(name="escr.extract", **RETRY)  # type: ignore[untyped-decorator]
def extract(document_id: int) -> int:
    """Extract (and OCR) one document in the worker's sandbox."""
    ctx = _context()
    with _session() as session:
        document = session.get(Document, document_id)
        if document is None or document.state != RowState.STORED:
            return document_id  # redelivered after it was done: nothing to do
        assert document.sha256 is not None
        with ctx.store.local_copy(content_key(document.sha256)) as path:
            result = _sandbox().submit(str(path), document.mime).result()
        pipeline.apply_extraction(session, document, result, ctx.now())
        children = add_attachments(ctx, session, document, result.attachments)
        if document.state == RowState.QUARANTINED:
            _sync(session, document)
        else:
            _next(session, document)
        for child in children:
            _next(session, child)
        session.commit()
        _run_after_commit(session)
    return document_id


@app.task(name="escr.ocr", **RETRY)  # type: ignore[untyped-decorator]
def ocr(document_id: int) -> int:
    """Image documents: the same work as extract, routed to the ocr queue to scale apart."""
    return int(extract.run(document_id))


@app.task(name="escr.index", **(RETRY | {"max_retries": 3, "retry_backoff_max": 10}))  # type: ignore[untyped-decorator]
def index(document_id: int) -> int:
    """Index the document and any others waiting, claimed with SKIP LOCKED so workers
    never index the same rows at once (on PostgreSQL; SQLite has one writer anyway)."""
    ctx = _context()
    with _session() as session:
        claim = (
            select(Document)
            .where(Document.state == RowState.PENDING_INDEX)
            .order_by(Document.id)
            .limit(INDEX_BATCH)
        )
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        documents = list(session.scalars(claim))
        if not documents:
            return document_id
        pipeline.index_pending(ctx, session, documents)
        for document in documents:
            _sync(session, document)
    return document_id


def enqueue_batch(session: Session, batch: str) -> int:
    """Queue an ingest task for every row of the batch not yet ended; returns how many."""
    sent = 0
    for page in ledger.iter_rows(session, batch, page=1000):
        for row in page:
            if row.state in (
                RowState.PENDING,
                RowState.STORED,
                RowState.EXTRACTED,
                RowState.PENDING_INDEX,
            ):
                ingest.delay(row.id)
                sent += 1
        session.expunge_all()
    return sent


def task_names() -> list[str]:
    return sorted(name for name in app.tasks if name.startswith("escr."))
