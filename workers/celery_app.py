"""The Celery application: JSON messages, late acks, prefetch 1, OCR on its own queue.

The app object exists at import (Celery needs one), but it is configured from the settings
only when a worker or a loader starts (`configure`), never at import time.
"""

from __future__ import annotations

from celery import Celery

from core.settings import Settings

# api.retention_tasks: an upload's retention, sent by name from the index task (the pipeline
# does not import governance; the workers' app registers the task).
app = Celery("escr", include=["workers.tasks", "workers.webhook_tasks", "api.retention_tasks"])

QUEUES = ("default", "ocr", "render", "convert")


def queue_name(settings: Settings, logical: str) -> str:
    """The broker's name for a logical queue ("default" or "ocr")."""
    return f"{settings.broker.queue_prefix}.{logical}"


def configure(settings: Settings) -> Celery:
    """Point the app at the configured broker; idempotent."""
    app.conf.update(
        broker_url=settings.broker.url,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        # A message is acknowledged only when its task has finished: a worker killed
        # mid-task leaves it unacknowledged, and the broker hands it to another worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue_name(settings, "default"),
        task_routes={
            "escr.ocr": {"queue": queue_name(settings, "ocr")},
            "escr.ocr_pages": {"queue": queue_name(settings, "ocr")},
            # Renditions (docs/decisions/0027): their own queue and worker, apart from loading.
            "escr.render": {"queue": queue_name(settings, "render")},
            # Office files through LibreOffice (docs/decisions/0024): capacity apart from OCR.
            "escr.convert": {"queue": queue_name(settings, "convert")},
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app
