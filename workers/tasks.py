"""Celery tasks: one per stage, each taking an ID, reading its inputs from the catalog and the
blob store, writing its result with a state, and queueing the next stage.

A PDF's extract reads its text layers only; pages without one are OCRed by `escr.ocr_pages`
tasks of at most `ocr.pages_per_task` pages on the ocr queue, so no task runs near the broker's
redelivery timeout. Their page texts are kept in `document_pages`, and the task that counts every
page with text (holding the document row's lock) assembles the text and moves the document on.

Only TransientBackendError is retried (backoff with jitter); anything else ends the document
as `failed` with the reason, so nothing is silently lost. Batch completion is counted in the
catalog (the ledger), not with chords.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from functools import cache, partial
from pathlib import Path
from typing import Any

from celery import Task
from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from catalog import ledger
from catalog.db import IN_LIST_MAX, after_commit, unit_of_work
from catalog.models import Batch, Document, DocumentPage, LedgerRow
from core.clock import utcnow
from core.errors import TransientBackendError
from core.logging import get_logger
from core.settings import get_settings
from core.states import Reason, RowState
from storage.base import content_key
from workers import pipeline
from workers.attachments import discard_files
from workers.celery_app import app, queue_name
from workers.extract import registry
from workers.extract.base import TEXT_LAYERS, ExtractionResult, PageRange, PageText, split_pages
from workers.load import limits_from, make_context
from workers.sandbox import SandboxPool, spooler
from workers.stages import (
    DOCUMENT_FAILURE,
    INDEX_FAILURE,
    INGEST_FAILURE,
    RENDER_FAILURE,
    Failure,
    PageRanges,
    failure_detail,
)

log = get_logger(__name__)

# api.retention_tasks' task, sent by name: the pipeline does not import governance.
EVALUATE_RETENTION = "escr.evaluate_retention"


class StageTask(Task):  # type: ignore[misc]
    """A stage whose permanent failure is recorded on the row or document, never lost: each
    task names its `failure` (stages.Failure), and its first argument is the target's ID."""

    failure: Failure  # given by each task's decorator

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        target = args[0] if args else None
        log.error("task.failed", task=self.name, target=target)
        if target is None or not self.failure.records(exc):
            log.warning("task.spared", task=self.name, target=target)
            return
        with _session() as session:
            pipeline.record_failure(
                session,
                self.failure,
                target,
                failure_detail(exc),
                utcnow(),
                if_unfinished=True,  # another delivery may have finished it meanwhile
            )


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
# Six bound parameters a page row: a slice stays within the one IN-list bound's budget.
PAGE_ROWS_PER_INSERT = IN_LIST_MAX // 6
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


def _session() -> AbstractContextManager[Session]:
    return unit_of_work(get_settings().database_url)


_UNFINISHED = (RowState.STORED, RowState.EXTRACTED, RowState.PENDING_INDEX)


def _sync(session: Session, document: Document, batch: str | None = None) -> None:
    """The rows of `batch` (default: the round that last took the document on) take its state.
    An earlier round's rows are its history: a later round never rewrites them."""
    ledger.sync_document(session, batch or document.batch, document, utcnow())


def _advance(session: Session, documents: list[Document], batch: str | None = None) -> None:
    """Take the documents as far as they go here (pipeline.advance) and queue the stage each
    needs next, sent once this transaction commits. `batch` is the round whose manifest row
    brought them here (from ingest): the other tasks, which know only the document, then report
    to this round's rows, not to the round that first stored it."""
    plan = pipeline.advance(_context(), session, documents, batch)
    for document in plan.extract:
        task = _extract_task(document.mime)
        after_commit(session, partial(task.delay, document.id))
    for document in plan.index:
        after_commit(session, partial(index.delay, document.id))
    for document in [*plan.index, *plan.settled]:
        _sync(session, document, batch)


@app.task(name="escr.ingest", failure=INGEST_FAILURE, **RETRY)  # type: ignore[untyped-decorator]
def ingest(ledger_id: int) -> int:
    """Store one manifest row's file and take its document as far as it can go here."""
    with _session() as session:
        row = session.get(LedgerRow, ledger_id)
        if row is None or row.state in (RowState.DUPLICATE,) or row.reason == Reason.BAD_ROW:
            return ledger_id
        batch = session.get(Batch, row.batch)
        assert batch is not None
        document, _change = pipeline.ingest_row(
            _context(),
            session,
            row,
            Path(batch.manifest_path).parent,
            spool=spooler(_sandbox()),  # libmagic reads untrusted bytes in the sandbox too
        )
        if document is not None:
            _advance(session, [document], row.batch)
    return ledger_id


@app.task(name="escr.extract", failure=DOCUMENT_FAILURE, **RETRY)  # type: ignore[untyped-decorator]
def extract(document_id: int) -> int:
    """Extract one document in the worker's sandbox. A PDF's text layers only: pages that have
    none are left to `escr.ocr_pages` tasks, and the document stays `stored` until they end."""
    ctx = _context()
    with _session() as session:
        document = session.get(Document, document_id)
        if document is None or document.state != RowState.STORED:
            return document_id  # redelivered after it was done: nothing to do
        assert document.sha256 is not None
        if _resume_ocr(session, document):
            return document_id
        pages = TEXT_LAYERS if registry.reads_page_ranges(document.mime) else None
        with ctx.store.local_copy(content_key(document.sha256)) as path:
            result = _sandbox().submit(str(path), document.mime, pages).result()
        if result.ok and result.pending_ocr:
            _await_ocr(session, document, result)
            return document_id
        _took(session, document, result)
    return document_id


def _took(session: Session, document: Document, result: ExtractionResult) -> None:
    """Record the document's extraction, and queue what it and its attachments need next."""
    try:
        extracted = pipeline.record_extractions(_context(), session, [(document, result)])
    finally:
        discard_files(result.attachments)  # a retry extracts the email again
    for ended in extracted.ended:
        _sync(session, ended)
    _advance(session, extracted.onward)


@app.task(name="escr.ocr", failure=DOCUMENT_FAILURE, **RETRY)  # type: ignore[untyped-decorator]
def ocr(document_id: int) -> int:
    """Image documents: the same work as extract, routed to the ocr queue to scale apart. A
    multi-page TIFF is then split by page range like a scanned PDF (escr.ocr_pages)."""
    return int(extract.run(document_id))


@app.task(name="escr.convert", failure=DOCUMENT_FAILURE, **RETRY)  # type: ignore[untyped-decorator]
def convert(document_id: int) -> int:
    """Office files LibreOffice reads: the same work as extract, routed to the convert queue,
    whose workers keep LibreOffice warm, so conversion scales apart from OCR and the rest."""
    return int(extract.run(document_id))


def _extract_task(mime: str) -> Any:
    """The task that extracts a document of this type: OCR work, LibreOffice work, or the rest."""
    if mime.startswith(OCR_MIMES):
        return ocr
    extractor = registry.choose(mime)
    if extractor is not None and extractor.name == registry.LIBREOFFICE:
        return convert
    return extract


@app.task(name="escr.ocr_pages", failure=DOCUMENT_FAILURE, **RETRY)  # type: ignore[untyped-decorator]
def ocr_pages(document_id: int, first: int, last: int) -> int:
    """OCR pages first..last of a PDF (or frames of a TIFF) in the worker's sandbox and store
    their texts.

    Idempotent: a redelivered task writes the same rows (or finds them written and only counts).
    The task that finds every page with text finishes the document, once: it counts holding the
    document row's lock (PostgreSQL), so of two last tasks the second sees the document moved on.
    """
    ctx = _context()
    with _session() as session:
        document = session.get(Document, document_id)
        if document is None or document.state != RowState.STORED or document.sha256 is None:
            return document_id  # finished, quarantined or failed meanwhile
        sha256, mime = document.sha256, document.mime
        waiting = session.scalar(
            _pages(document_id, sha256)
            .with_only_columns(func.count())
            .where(DocumentPage.page_no.between(first, last), DocumentPage.text.is_(None))
        )
    result: ExtractionResult | None = None
    if waiting:
        # Read outside any transaction: no database connection is held while Tesseract runs.
        with ctx.store.local_copy(content_key(sha256)) as path:
            result = _sandbox().submit(str(path), mime, PageRange(first, last)).result()
    with _session() as session:
        document = _locked(session, document_id)
        if document is None or document.state != RowState.STORED or document.sha256 != sha256:
            return document_id  # moved on, or replaced by a new version: these pages are stale
        if result is not None and not result.ok:
            _quarantine_pages(session, document, result, first, last)
        else:
            if result is not None:
                _write_pages(session, document_id, sha256, result.page_texts)
            _finish_if_complete(session, document)
    log.info("ocr.pages", document=document_id, first=first, last=last, ocred=result is not None)
    return document_id


def _pages(document_id: int, sha256: str) -> Select[DocumentPage]:
    """SELECT of the document's page rows read from its current content."""
    return select(DocumentPage).where(
        DocumentPage.document_id == document_id, DocumentPage.sha256 == sha256
    )


def _locked(session: Session, document_id: int) -> Document | None:
    """The document row, locked until commit (FOR UPDATE on PostgreSQL; SQLite has one writer),
    so that tasks counting its pages take turns."""
    return session.get(Document, document_id, with_for_update=True, populate_existing=True)


def _write_pages(session: Session, document_id: int, sha256: str, pages: list[PageText]) -> None:
    """Insert or rewrite page rows: a redelivered task writes the same values again."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # In slices, to stay under the databases' limits on bound parameters per statement.
    for start in range(0, len(pages), PAGE_ROWS_PER_INSERT):
        values = [
            {
                "document_id": document_id,
                "page_no": page.page_no,
                "text": page.text,
                "ocr": page.ocr,
                "confidence": page.confidence,
                "sha256": sha256,
            }
            for page in pages[start : start + PAGE_ROWS_PER_INSERT]
        ]
        statement = insert(DocumentPage).values(values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["document_id", "page_no"],
                set_={
                    "text": statement.excluded.text,
                    "ocr": statement.excluded.ocr,
                    "confidence": statement.excluded.confidence,
                    "sha256": statement.excluded.sha256,
                },
            )
        )


def _clear_pages(session: Session, document_id: int) -> None:
    session.execute(delete(DocumentPage).where(DocumentPage.document_id == document_id))


def _await_ocr(session: Session, document: Document, result: ExtractionResult) -> None:
    """Keep the text layers as page rows, the other pages as rows waiting (text None), and queue
    OCR tasks by page range; the document stays `stored`, with `ocr_pending` pages."""
    assert document.sha256 is not None
    _clear_pages(session, document.id)  # an older version's pages, if any
    _write_pages(session, document.id, document.sha256, result.page_texts)
    document.pages, document.ocr_pending = result.pages, len(result.pending_ocr)
    document.updated_at = utcnow()
    _queue_ocr(session, document.id, result.pending_ocr)


def _queue_ocr(session: Session, document_id: int, pages: list[int]) -> None:
    """Queue `escr.ocr_pages` for the pages, in ranges of at most `ocr.pages_per_task` pages."""
    settings = get_settings()
    ranges = split_pages(pages, settings.ocr.pages_per_task)
    queue = queue_name(settings, "ocr")
    for first, last in ranges:
        send = partial(ocr_pages.apply_async, (document_id, first, last), queue=queue)
        after_commit(session, send)
    log.info("ocr.split", document=document_id, pages=len(pages), tasks=len(ranges))


def _resume_ocr(session: Session, document: Document) -> bool:
    """A document whose pages already wait for OCR (extract redelivered, or the batch re-run):
    queue the pages still without text again, or finish it; False if it has no page rows."""
    assert document.sha256 is not None
    if session.scalar(_pages(document.id, document.sha256).limit(1)) is None:
        return False
    locked = _locked(session, document.id)
    if locked is None or locked.state != RowState.STORED or _finish_if_complete(session, locked):
        return True
    missing = session.scalars(
        _pages(document.id, document.sha256)
        .with_only_columns(DocumentPage.page_no)
        .where(DocumentPage.text.is_(None))
    )
    _queue_ocr(session, document.id, list(missing))
    return True


def _finish_if_complete(session: Session, document: Document) -> bool:
    """With the document locked: if every page has text, apply the text in page order and move
    the document on (True); else record how many pages still wait."""
    assert document.sha256 is not None
    ranges = PageRanges(document.mime, document.pages)
    ranges.add(
        PageText(row.page_no, row.text, row.ocr, row.confidence)
        for row in session.scalars(_pages(document.id, document.sha256))
    )
    document.ocr_pending = ranges.waiting
    result = ranges.result(limits_from(get_settings()))
    if result is None:
        return False
    _clear_pages(session, document.id)
    _took(session, document, result)
    log.info("ocr.finished", document=document.id, pages=document.pages)
    return True


def _quarantine_pages(
    session: Session, document: Document, result: ExtractionResult, first: int, last: int
) -> None:
    """A page range the sandbox could not read ends the document with the reason, as a whole
    extraction would; the other ranges' tasks then find it moved on."""
    ranges = PageRanges(document.mime, document.pages)
    ranges.took(first, last, result)
    failed = ranges.result(limits_from(get_settings()))
    assert failed is not None and not failed.ok
    document.ocr_pending = 0
    _clear_pages(session, document.id)
    _took(session, document, failed)


@app.task(
    name="escr.index",
    failure=INDEX_FAILURE,
    **(RETRY | {"max_retries": 3, "retry_backoff_max": 10}),
)  # type: ignore[untyped-decorator]
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
            # Its rendition, on the render queue once the index write has committed.
            after_commit(session, partial(render.delay, document.id))
        uploaded = ledger.uploaded(session, [d.id for d in documents])
        if uploaded:  # a CMS's upload: its retention now, not at the next sweep
            after_commit(session, partial(app.send_task, EVALUATE_RETENTION, args=[uploaded]))
    return document_id


@app.task(name="escr.render", failure=RENDER_FAILURE, **RETRY)  # type: ignore[untyped-decorator]
def render(document_id: int) -> int:
    """Make the document's rendition, unless its version has one (made once; twins share)."""
    from catalog import renditions
    from workers.render.stage import RenderCounts, render_documents

    with _session() as session:
        document = session.get(Document, document_id)
        if document is None or document not in renditions.waiting_among(session, [document_id]):
            return document_id
        render_documents(session, _context().store, _sandbox(), [document], RenderCounts())
    return document_id


def enqueue_batch(session: Session, batch: str) -> int:
    """Queue an ingest task for every row of the batch not yet ended, and the next stage of
    every attachment left part-way; returns how many tasks."""
    sent = _enqueue_rows(session, batch)
    return sent + resume_attachments(session, batch)


def resume_attachments(session: Session, batch: str, page: int = 500) -> int:
    """Queue the next stage of the batch's attachments left stored, extracted or pending_index
    (a worker killed between stages, tasks lost with a broker). They have no ledger row, so
    queuing the rows again never reaches them once their parent has moved on; they stayed so
    for good, never searchable. Returns how many were taken on."""
    sent, last_id = 0, 0
    while documents := list(
        session.scalars(
            select(Document)
            .where(
                Document.batch == batch,
                Document.parent_id.is_not(None),
                Document.state.in_(_UNFINISHED),
                Document.id > last_id,
            )
            .order_by(Document.id)
            .limit(page)
        )
    ):
        last_id = documents[-1].id
        _advance(session, documents)
        session.commit()  # which sends their tasks
        sent += len(documents)
        session.expunge_all()
    return sent


def _enqueue_rows(session: Session, batch: str) -> int:
    sent = 0
    for page in ledger.iter_rows(session, batch, page=1000):
        for row in page:
            if row.state in (
                RowState.PENDING,
                RowState.STORED,
                RowState.EXTRACTED,
                RowState.PENDING_INDEX,
            ):
                after_commit(session, partial(ingest.delay, row.id))
                sent += 1
        session.commit()  # sends the page's tasks (registration committed the rows)
        session.expunge_all()
    return sent


def task_names() -> list[str]:
    return sorted(name for name in app.tasks if name.startswith("escr."))
