"""`escr.evaluate_retention` on the Celery workers: a case management system's upload is
retention-evaluated once indexed, as the embedded runner's `after` does
(api.intake_dispatch.evaluate_retention), instead of waiting for the next sweep.

The workers' index task sends it by name (workers/tasks.py: governance is not the pipeline's
to import); workers/celery_app.py includes this module, so every worker registers it."""

from __future__ import annotations

from api.intake_dispatch import evaluate_retention
from catalog.db import session_factory
from core.settings import get_settings
from storage.factory import make_blob_store
from workers.celery_app import app

EVALUATE_RETENTION = "escr.evaluate_retention"


@app.task(name=EVALUATE_RETENTION, acks_late=True)  # type: ignore[untyped-decorator]
def evaluate_upload_retention(document_ids: list[int]) -> int:
    """Evaluate these uploaded documents against the schedule in force; how many."""
    settings = get_settings()
    with session_factory(settings.database_url)() as session:
        evaluate_retention(settings, make_blob_store(settings), session, document_ids)
        session.commit()
    return len(document_ids)
