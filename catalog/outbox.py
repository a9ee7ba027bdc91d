"""The webhook outbox: events written in the transaction of the change they tell of
(catalog/models_webhooks.py, docs/decisions/0038). Functions do not commit.

With no subscription for an event's type nothing is written, so a load that nobody listens to
pays one small query a group. Senders are woken after the commit by the listeners registered
here (the embedded delivery thread, or a Celery task in scale-out): woken or not, they poll.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX, after_commit
from catalog.models import DocumentLink
from catalog.models_webhooks import WebhookDelivery, WebhookEvent, WebhookSubscription

DOCUMENT_INDEXED = "document.indexed"
DOCUMENT_RELINKED = "document.relinked"
DOCUMENT_DISPOSED = "document.disposed"
EVENT_TYPES = (DOCUMENT_INDEXED, DOCUMENT_RELINKED, DOCUMENT_DISPOSED)

_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def add_listener(wake: Callable[[], None]) -> None:
    """Call `wake` after every commit that wrote deliveries (it must only note or send)."""
    with _listeners_lock:
        if wake not in _listeners:
            _listeners.append(wake)


def remove_listener(wake: Callable[[], None]) -> None:
    with _listeners_lock:
        if wake in _listeners:
            _listeners.remove(wake)


def wake_senders() -> None:
    """Tell the listening senders there is work (run after a commit; see add_listener)."""
    with _listeners_lock:
        listeners = list(_listeners)
    for wake in listeners:
        wake()


def subscriptions_for(session: Session, event_type: str) -> list[WebhookSubscription]:
    """The active subscriptions that want this type of event."""
    rows = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active))
    return [s for s in rows if not s.events or event_type in s.events]


def _people(session: Session, document_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in document_ids}
    for start in range(0, len(document_ids), IN_LIST_MAX):
        chunk = document_ids[start : start + IN_LIST_MAX]
        for document_id, person_id in session.execute(
            select(DocumentLink.document_id, DocumentLink.person_id).where(
                DocumentLink.document_id.in_(chunk)
            )
        ):
            found[document_id].append(person_id)
    return {i: sorted(p) for i, p in found.items()}


def document_events(
    session: Session,
    event_type: str,
    document_ids: Sequence[int],
    *,
    now: datetime,
    data: Mapping[int, Mapping[str, Any]] | None = None,
) -> int:
    """One event per document (its people as the catalog has them now, and `data[id]`), with a
    delivery per subscription that wants it. Returns how many deliveries were written."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    ids = sorted(set(document_ids))
    subscriptions = subscriptions_for(session, event_type) if ids else []
    if not subscriptions:
        return 0
    people = _people(session, ids)
    extra = data or {}
    rows = [
        {
            "event_type": event_type,
            "document_id": i,
            "payload": {
                "document_id": i,
                "person_ids": people[i],
                "deep_link": f"/link/documents/{i}",
                **extra.get(i, {}),
            },
            "created_at": now,
        }
        for i in ids
    ]
    # Core inserts returning the IDs in order: the ORM's unit of work took 0.18 ms a document,
    # more than the loader's whole index step (decision 0038).
    events = cast(Table, WebhookEvent.__table__)
    made = session.connection().execute(
        insert(events).returning(events.c.id, sort_by_parameter_order=True), rows
    )
    event_ids = [row[0] for row in made]
    deliveries = [
        {
            "event_id": e,
            "subscription_id": s.id,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
        }
        for e in event_ids
        for s in subscriptions
    ]
    session.connection().execute(insert(cast(Table, WebhookDelivery.__table__)), deliveries)
    after_commit(session, wake_senders)
    return len(deliveries)
