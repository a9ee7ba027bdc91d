"""Who is told of what: a service account's webhook subscriptions (catalog/models_webhooks.py,
docs/decisions/0038). Each change is audited; functions do not commit."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.db import after_commit
from catalog.models_webhooks import WebhookDelivery, WebhookSubscription
from catalog.outbox import EVENT_TYPES, wake_senders
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from domain.webhook_addresses import forbidden_host
from records.access import Caller

MIN_SECRET = 24  # characters: an HMAC key a person typed should not be guessable


def _checked_url(url: str, *, https_only: bool) -> str:
    parts = urlsplit(url.strip())
    allowed = ("https",) if https_only else ("http", "https")
    if parts.scheme not in allowed or not parts.hostname:
        raise InvalidInput(f"the URL must be {' or '.join(allowed)} with a host")
    if parts.username or parts.password:
        raise InvalidInput("the URL must not carry a user name or password (it is logged)")
    if https_only and forbidden_host(parts.hostname):
        # In production a subscription may not aim at escr's own machine or the cloud's
        # metadata address in any spelling (domain/webhook_addresses.py): the deliveries'
        # statuses would let a caller probe them. A council's private network stays allowed
        # (its CMS lives there). A name is checked by the sender when it connects.
        raise InvalidInput("the URL names this machine or a link-local address")
    return url.strip()


def _checked_events(events: Sequence[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"unknown event types {unknown}; types: {', '.join(EVENT_TYPES)}")
    return sorted(set(events))


def subscription_json(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "account": row.account,
        "url": row.url,
        "events": list(row.events) or list(EVENT_TYPES),
        "active": row.active,
        "created_at": row.created_at.isoformat(),
    }


def subscribe(
    session: Session,
    *,
    caller: Caller,
    account: str,
    url: str,
    events: Sequence[str] = (),
    secret: str = "",
    https_only: bool = False,
) -> tuple[WebhookSubscription, str]:
    """A new subscription for `account`; returns it and its secret (escr makes one where none
    is given). The secret is shown this once."""
    if secret and len(secret) < MIN_SECRET:
        raise InvalidInput(
            f"a secret of at least {MIN_SECRET} characters, or none (escr makes one)"
        )
    key = secret or secrets.token_urlsafe(32)
    row = WebhookSubscription(
        account=account,
        url=_checked_url(url, https_only=https_only),
        secret=key,
        events=_checked_events(events),
        active=True,
        created_by=caller.user_id,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=caller.user_id,
        action="webhook_subscribe",
        target_type="webhook",
        target_id=str(row.id),
        on_behalf_of=caller.on_behalf_of,
        detail={"account": account, "url": row.url, "events": row.events},
    )
    return row, key


def subscriptions(session: Session, account: str | None) -> list[WebhookSubscription]:
    """An account's subscriptions (every account's where None), newest first."""
    query = select(WebhookSubscription).order_by(WebhookSubscription.id.desc())
    if account is not None:
        query = query.where(WebhookSubscription.account == account)
    return list(session.scalars(query))


def unsubscribe(
    session: Session, *, caller: Caller, subscription_id: int, account: str | None
) -> WebhookSubscription:
    """Switch a subscription off (kept, with its deliveries, for the record)."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or (account is not None and row.account != account):
        raise NotFound(f"webhook subscription {subscription_id} not found")
    row.active = False
    audit.record(
        session,
        actor=caller.user_id,
        action="webhook_unsubscribe",
        target_type="webhook",
        target_id=str(row.id),
        on_behalf_of=caller.on_behalf_of,
        detail={"account": row.account},
    )
    return row


def redeliver(
    session: Session, *, caller: Caller, subscription_id: int, account: str | None
) -> int:
    """Send the deliveries given up (`failed`) again from their first attempt, e.g. once a
    receiver is back from an outage longer than the retries; returns how many. Audited."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or (account is not None and row.account != account):
        raise NotFound(f"webhook subscription {subscription_id} not found")
    if not row.active:
        raise Conflict(f"webhook subscription {subscription_id} is switched off")
    now = utcnow()
    again = list(
        session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.state == "failed",
            )
        )
    )
    for delivery in again:
        delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
        delivery.lease_until = None
    audit.record(
        session,
        actor=caller.user_id,
        action="webhook_redeliver",
        target_type="webhook",
        target_id=str(row.id),
        on_behalf_of=caller.on_behalf_of,
        detail={"account": row.account, "deliveries": len(again)},
    )
    if again:
        after_commit(session, wake_senders)
    return len(again)


def deliveries(session: Session, subscription_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """A subscription's latest deliveries and their state, for whoever wonders where one went."""
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return [
        {
            "event_id": r.event_id,
            "state": r.state,
            "attempts": r.attempts,
            "last_status": r.last_status,
            "last_error": r.last_error,
            "next_attempt_at": r.next_attempt_at.isoformat(),
            "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
        }
        for r in rows
    ]
