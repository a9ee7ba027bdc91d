"""Who sends the webhook outbox while the API runs (workers/webhooks.py, decision 0038).

Embedded (`ESCR_WEBHOOKS__DELIVERY=thread`, the default): a supervised thread of this process,
woken after each commit that wrote deliveries and polling besides. Scale-out (`celery`): the
`escr.deliver_webhooks` task on the workers, sent after such commits. `off`: nobody (the rows
wait, e.g. while a receiver is down for a long time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from catalog import outbox
from catalog.db import session_factory
from core.settings import get_settings
from workers.webhooks import DeliveryThread


@asynccontextmanager
async def webhook_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    thread: DeliveryThread | None = None
    wake = None
    if settings.webhooks.delivery == "thread":
        # Plain sessions: a sender that finds nothing due must only read (workers/webhooks.py
        # _claim); a writer session would hold SQLite's write lock on every poll.
        thread = DeliveryThread(session_factory(settings.database_url), settings)
        thread.start()
    elif settings.webhooks.delivery == "celery":
        from workers.webhook_tasks import send_after_commit

        wake = send_after_commit(settings)
        outbox.add_listener(wake)
    app.state.webhook_thread = thread
    try:
        yield
    finally:
        if thread is not None:
            thread.stop()
        if wake is not None:
            outbox.remove_listener(wake)
