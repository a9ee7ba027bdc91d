"""The embedded runner of uploads: one thread of the serving process takes each upload's
one-row batch through the local runner (workers/local_runner.py), in a sandbox pool of its own
started on the first upload (docs/decisions/0037-cms-identity.md).

Scale-out does not use this: there, an upload's ledger row is sent to the Celery workers'
`escr.ingest` task like any loaded row (workers/tasks.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import writer_session_factory
from catalog.models import Batch, Document
from catalog.reconcile import reconcile
from core.clock import utcnow
from core.logging import get_logger
from core.settings import Settings
from core.states import RowState
from workers.load import limits_from
from workers.local_runner import LocalRunner
from workers.pipeline import Context
from workers.sandbox import SandboxPool
from workers.type_model import current_model_path

log = get_logger(__name__)


class EmbeddedIntake:
    """Runs uploaded batches to the end, one at a time, in the order they were sent."""

    def __init__(
        self,
        settings: Settings,
        ctx: Context,
        workers: int,
        after: Callable[[Session, list[int]], None] | None = None,
    ) -> None:
        """`after`: what the face does with a batch's indexed documents once its run has
        committed (the API evaluates their retention: governance is not the pipeline's to
        import)."""
        self.settings, self.ctx, self.workers, self.after = settings, ctx, workers, after
        self._batches: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, batch: str) -> None:
        """Queue a committed upload's batch (call it after the commit)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                # Started on first use, or again if it died (its sandbox could not start):
                # an upload is never queued to nobody.
                self._thread = threading.Thread(target=self._run, name="escr-intake", daemon=True)
                self._thread.start()
            self._idle.clear()
            self._batches.put(batch)

    def wait_idle(self, timeout: float) -> bool:
        """Whether every queued upload has been run within `timeout` seconds (tests, bench)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._batches.put(None)
            thread.join()

    def _run(self) -> None:
        model = current_model_path(self.settings.home) if self.ctx.type_model else None
        with SandboxPool(self.workers, limits_from(self.settings), self.settings.tmp_dir) as pool:
            pool.scan_with(self.ctx.mapping.keywords, model)
            while (batch := self._batches.get()) is not None:
                try:
                    self._run_batch(pool, batch)
                except Exception:  # the row stays unfinished, its status says so; go on
                    log.exception("intake.failed", batch=batch)
                if self._batches.empty():
                    self._idle.set()

    def _run_batch(self, pool: SandboxPool, name: str) -> None:
        with writer_session_factory(self.settings.database_url)() as session:
            batch = session.get(Batch, name)
            if batch is None:
                return
            runner = LocalRunner(
                self.ctx,
                session,
                batch=name,
                archive_root=Path(batch.manifest_path).parent,
                pool=pool,
                progress=False,
                pages_per_task=self.settings.ocr.pages_per_task,
            )
            runner.run(total=batch.rows_total)
            if self.after is not None:
                indexed = session.scalars(
                    select(Document.id).where(
                        Document.batch == name, Document.state == RowState.INDEXED
                    )
                ).all()
                self.after(session, list(indexed))
                session.commit()
            if reconcile(session, name)["unaccounted"] == 0:
                batch = session.merge(batch)
                batch.status, batch.finished_at = "complete", utcnow()
                session.commit()
                # The file is in the blob store now (or quarantined with its reason): the
                # upload's copy goes, its upload.json stays as the batch's "manifest".
                manifest = Path(batch.manifest_path)
                for path in manifest.parent.iterdir():
                    if path != manifest:
                        path.unlink(missing_ok=True)
            log.info("intake.done", batch=name)
