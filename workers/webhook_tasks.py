"""The scale-out sender of the webhook outbox: the Celery task `escr.deliver_webhooks`
(workers/webhooks.py does the sending; decision 0038).

The task sends what is due and, while deliveries wait for a retry, sends itself again for
when the first is due, so a retry needs no scheduler. Several copies at once are harmless:
each claims its rows with a lease. Processes that write the outbox in scale-out (the API,
the workers) send the task after their commit (`send_after_commit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery.signals import worker_init

from catalog import outbox
from catalog.db import session_factory
from core.clock import utcnow
from core.settings import Settings, get_settings
from workers.celery_app import app, configure
from workers.webhooks import deliver_due

MAX_COUNTDOWN_S = 3600.0


@app.task(name="escr.deliver_webhooks", acks_late=True)  # type: ignore[untyped-decorator]
def deliver_webhooks() -> int:
    """Send the due deliveries; come back when the next one is due. Returns how many went."""
    settings = get_settings()
    done = deliver_due(session_factory(settings.database_url), settings)
    if done.next_due is not None:
        wait = (done.next_due - utcnow()).total_seconds()
        deliver_webhooks.apply_async(countdown=min(MAX_COUNTDOWN_S, max(0.0, wait)))
    return done.delivered


def send_after_commit(settings: Settings) -> Callable[[], None]:
    """An outbox listener that sends the task (the broker is configured first)."""
    configure(settings)

    def wake() -> None:
        deliver_webhooks.delay()

    return wake


@worker_init.connect  # type: ignore[untyped-decorator]
def _listen_in_workers(**_: Any) -> None:
    """A worker that indexes or disposes of documents writes the outbox: it sends the task."""
    settings = get_settings()
    if settings.webhooks.delivery == "celery":
        outbox.add_listener(send_after_commit(settings))
