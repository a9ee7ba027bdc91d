"""The single-machine runner: the main process ingests and records, a sandbox pool extracts.

One catalog session, committed after every row and every extraction result, so a SIGKILL
loses at most the row in hand; the next run redoes it from the ledger.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from catalog import ledger
from catalog.documents import cache_texts
from catalog.models import Document, LedgerRow
from core.logging import get_logger
from core.states import Reason, RowState
from storage.base import content_key
from workers import pipeline
from workers.attachments import add_attachments
from workers.extract.base import ExtractionResult, Limits
from workers.sandbox import SandboxPool

log = get_logger(__name__)
INDEX_EVERY = 200
COMMIT_EVERY_ROWS = 100
COMMIT_EVERY_S = 0.5


@dataclass
class RunCounts:
    """What this run did (the batch's states are in the reconciliation)."""

    processed: int = 0
    new: int = 0
    new_version: int = 0
    unchanged: int = 0
    extracted: int = 0
    attachments: int = 0
    failed: int = 0
    changes: dict[str, int] = field(default_factory=dict)


@dataclass
class _InFlight:
    document_id: int
    stack: ExitStack


class LocalRunner:
    """Process one registered batch to the end, with `workers` sandboxed extractors."""

    def __init__(
        self,
        ctx: pipeline.Context,
        session: Session,
        *,
        batch: str,
        archive_root: Path,
        workers: int,
        limits: Limits,
        progress: bool = True,
    ) -> None:
        self.ctx, self.session, self.batch = ctx, session, batch
        self.archive_root, self.workers, self.limits = archive_root, workers, limits
        self.progress = progress
        self.counts = RunCounts()
        self.in_flight: dict[Future[ExtractionResult], _InFlight] = {}
        self.to_index: list[int] = []
        self.uncommitted, self.last_commit = 0, time.monotonic()
        cache_texts(session)

    def run(self, total: int) -> RunCounts:
        bar = tqdm(
            total=total, unit="row", file=sys.stderr, disable=not self.progress, smoothing=0.05
        )
        with SandboxPool(self.workers, self.limits, self.ctx.tmp_dir) as pool:
            self.pool = pool
            for page in ledger.iter_rows(self.session, self.batch):
                for row in page:
                    self._guarded(partial(self._process_row, row), row=row)
                    bar.update(1)
                    bar.set_postfix(extracting=len(self.in_flight), refresh=False)
                    self._drain(block=len(self.in_flight) >= 2 * self.workers + 2)
                self._maybe_commit(force=True)
                self.session.expunge_all()  # keep memory flat on big archives
            while self.in_flight:
                self._drain(block=True)
            self._flush_index()
        self._maybe_commit(force=True)
        bar.close()
        return self.counts

    # -- rows ---------------------------------------------------------------------------
    def _process_row(self, row: LedgerRow) -> None:
        if row.state == RowState.DUPLICATE or row.reason == Reason.BAD_ROW:
            return  # ended at registration
        document, change = pipeline.ingest_row(self.ctx, self.session, row, self.archive_root)
        self.counts.processed += 1
        if change:
            self.counts.changes[change] = self.counts.changes.get(change, 0) + 1
        if document is not None:
            self._advance(document)

    def _advance(self, document: Document) -> None:
        """Take a document as far as it can go without waiting for a parser."""
        state = RowState(document.state)
        if state == RowState.STORED and not pipeline.reuse_extraction(self.session, document):
            self._submit(document)
            return
        if state == RowState.INDEXED and pipeline.needs_relink(self.session, document):
            state = RowState.EXTRACTED
        if state in (RowState.STORED, RowState.EXTRACTED):
            pipeline.classify_and_link(self.ctx, self.session, document)
            state = RowState.PENDING_INDEX
        if state == RowState.PENDING_INDEX:
            self.to_index.append(document.id)
        else:
            self._sync(document)  # the ledger learns the terminal state, not the steps
        if len(self.to_index) >= INDEX_EVERY:
            self._flush_index()

    def _sync(self, document: Document) -> None:
        ledger.sync_document(self.session, self.batch, document, self.ctx.now())

    # -- extraction ---------------------------------------------------------------------
    def _submit(self, document: Document) -> None:
        stack = ExitStack()
        assert document.sha256 is not None
        path = stack.enter_context(self.ctx.store.local_copy(content_key(document.sha256)))
        future = self.pool.submit(str(path), document.mime)
        self.in_flight[future] = _InFlight(document.id, stack)

    def _drain(self, *, block: bool) -> None:
        if not self.in_flight:
            return
        done, _ = wait(
            list(self.in_flight), timeout=None if block else 0, return_when=FIRST_COMPLETED
        )
        for future in done:
            job = self.in_flight.pop(future)
            job.stack.close()
            self._guarded(
                partial(self._finish, job.document_id, future), document_id=job.document_id
            )

    def _finish(self, document_id: int, future: Future[ExtractionResult]) -> None:
        result = future.result()
        document = self.session.get(Document, document_id)
        assert document is not None
        pipeline.apply_extraction(self.session, document, result, self.ctx.now())
        self.counts.extracted += 1
        children = add_attachments(self.ctx, self.session, document, result.attachments)
        self.counts.attachments += len(children)
        if document.state == RowState.QUARANTINED:
            self._sync(document)
            pipeline.forget(self.session, [document.id])
        else:
            self._advance(document)
        for child in children:
            self._advance(child)

    def _flush_index(self) -> None:
        if not self.to_index:
            return
        wanted, self.to_index = self.to_index, []
        documents = list(
            self.session.scalars(
                select(Document).where(Document.id.in_(wanted)).order_by(Document.id)
            )
        )
        pipeline.index_pending(self.ctx, self.session, documents)
        ledger.sync_many(self.session, self.batch, documents, self.ctx.now())
        self._maybe_commit(force=True)

    # -- failures -----------------------------------------------------------------------
    def _guarded(
        self,
        work: Callable[[], None],
        *,
        row: LedgerRow | None = None,
        document_id: int | None = None,
    ) -> None:
        """Our own bug on one row fails that row with a reason; the batch goes on."""
        try:
            with self.session.begin_nested():  # a savepoint: only this row's work undone
                work()
        except Exception as exc:  # recorded on the row below, never swallowed
            self.counts.failed += 1
            log.exception("row.failed", batch=self.batch, document_id=document_id)
            detail = f"{type(exc).__name__}: {exc}"[:500]
            now = self.ctx.now()
            if row is not None:
                row = self.session.merge(row)
                row.state, row.reason, row.detail, row.updated_at = (
                    RowState.FAILED,
                    Reason.INTERNAL_ERROR,
                    detail,
                    now,
                )
            if document_id is not None:
                document = self.session.get(Document, document_id)
                if document is not None:
                    document.state, document.reason, document.detail = (
                        RowState.FAILED,
                        Reason.INTERNAL_ERROR,
                        detail,
                    )
                    self._sync(document)
        self._maybe_commit()

    def _maybe_commit(self, *, force: bool = False) -> None:
        """Commit in groups: a per-row commit cost more than the row. A kill loses at most
        COMMIT_EVERY_S of work, which the next run redoes from the ledger."""
        self.uncommitted += 1
        if (
            force
            or self.uncommitted >= COMMIT_EVERY_ROWS
            or (time.monotonic() - self.last_commit >= COMMIT_EVERY_S)
        ):
            self.session.commit()
            self.uncommitted, self.last_commit = 0, time.monotonic()
