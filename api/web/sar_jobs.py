"""Bundle builds started from the web run in a thread of their own: a request of hundreds of
documents takes minutes to burn and gate (decision 0034), longer than a browser or a proxy waits
for one page. The request page says a build is running (and reloads itself every few seconds)
and then what came of it: released, or refused by the gate with its findings.

Kept in this process, as the pages' one-time messages are (api/web/render.Flashes): escr serves
from one process. A restart loses a running build, and nothing of it is kept: the release is
written, in one transaction, only after the gate passed (api/sar_release.release).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.sar_build import build
from catalog.db import unit_of_work
from core.clock import utcnow
from core.errors import EscrError
from core.logging import get_logger
from core.settings import Settings
from storage.base import BlobStore

log = get_logger(__name__)


@dataclass
class BundleJob:
    sar_id: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # why it could not be built (a refusal before the gate, or a failure)

    @property
    def running(self) -> bool:
        return self.finished_at is None


class BundleJobs:
    """The latest build of each request, one at a time a request."""

    def __init__(self) -> None:
        self._jobs: dict[int, BundleJob] = {}
        self._lock = threading.Lock()

    def get(self, sar_id: int) -> BundleJob | None:
        with self._lock:
            return self._jobs.get(sar_id)

    def start(self, sar_id: int, *, actor: str, settings: Settings, store: BlobStore) -> bool:
        """Start a build in a thread; False when one is already running for the request."""
        with self._lock:
            current = self._jobs.get(sar_id)
            if current is not None and current.running:
                return False
            job = BundleJob(sar_id, actor, utcnow())
            self._jobs[sar_id] = job
        thread = threading.Thread(
            target=self._run, args=(job, settings, store), name=f"sar-bundle-{sar_id}", daemon=True
        )
        thread.start()
        return True

    def _run(self, job: BundleJob, settings: Settings, store: BlobStore) -> None:
        try:
            with unit_of_work(settings.database_url) as session:
                job.outcome = build(
                    session, job.sar_id, actor=job.started_by, settings=settings, store=store
                )
        except EscrError as exc:  # refused before the gate (a blocker, a missing rendition)
            job.error = str(exc)
        except Exception as exc:
            log.exception("sar.bundle_failed", sar_id=job.sar_id)
            job.error = f"the build failed: {type(exc).__name__}; see the server's log"
        finally:
            job.finished_at = utcnow()


jobs = BundleJobs()
