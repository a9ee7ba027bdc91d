"""Sending the webhook outbox (catalog/outbox.py): signed POSTs, retried with exponential
backoff, at least once (docs/decisions/0038).

A sender claims due deliveries with a lease (on PostgreSQL with SKIP LOCKED, so several workers
never send one row at once), commits the claim, POSTs outside any transaction, then records the
answers in one commit. A 2xx is delivered; anything else (an error status, a refused
connection, a timeout) waits `backoff_base_s * 2**(attempts-1)` with jitter, until
`max_attempts`. A sender that dies between a 2xx and its record sends that event again once
the lease ends: receivers drop an event ID they have seen (the header and the body carry it).

Two runners send: a supervised thread in `escr serve` (embedded; `DeliveryThread`) and the
Celery task `escr.deliver_webhooks` (scale-out; workers/webhook_tasks.py).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from catalog import outbox
from catalog.models_webhooks import WebhookDelivery, WebhookEvent, WebhookSubscription
from core.clock import utcnow
from core.logging import get_logger
from core.settings import Settings, WebhookSettings
from domain.webhook_addresses import forbidden, forbidden_host
from domain.webhook_signature import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign

log = get_logger(__name__)
CLAIM = 50  # deliveries a sender claims at once
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
SWITCHED_OFF = "the subscription was switched off"


@dataclass(frozen=True)
class Answer:
    """What one POST got: the status (None where no HTTP answer came) and why it failed."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Post = Callable[[str, bytes, dict[str, str], float], Answer]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer, not a 2xx: following it would send the signed body to an
    # address nobody registered (an open redirect on the receiver, or an internal host).
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


REFUSED_ADDRESS = "resolves to this machine or a link-local address: not sent"


def _checked_connection(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None
) -> socket.socket:
    """A connection to `address` made only after every address its name resolves to is
    checked, to the checked address itself: a name re-pointed between a check and the
    connect (DNS rebinding) cannot reach this machine or the metadata service."""
    host, port = address
    if forbidden_host(host):
        raise ConnectionRefusedError(f"{host} {REFUSED_ADDRESS}")
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ips = [str(info[4][0]) for info in found]
    if not ips or any(forbidden(ipaddress.ip_address(ip.split("%", 1)[0])) for ip in ips):
        raise ConnectionRefusedError(f"{host} {REFUSED_ADDRESS}")
    error: OSError | None = None
    for ip in ips:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = self._checked  # type: ignore[method-assign]

    def _checked(
        self, address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        tunnel = getattr(self, "_tunnel_host", None)
        if tunnel:
            # Through the council's proxy (which may be a local one): the proxy resolves the
            # receiver, so only its name can be checked here.
            if forbidden_host(tunnel):
                raise ConnectionRefusedError(f"{tunnel} {REFUSED_ADDRESS}")
            return socket.create_connection(address, timeout, source_address)
        return _checked_connection(address, timeout, source_address)


class _CheckedHTTPSConnection(http.client.HTTPSConnection, _CheckedHTTPConnection):
    pass


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


_OPENER = urllib.request.build_opener(_NoRedirect)
_GUARDED = urllib.request.build_opener(_NoRedirect, _CheckedHTTPHandler, _CheckedHTTPSHandler)


def http_post(
    url: str, body: bytes, headers: dict[str, str], timeout_s: float, *, guard: bool = False
) -> Answer:
    """POST with the standard library (the environment's proxy settings apply, as a council's
    network may need them); a redirect is not followed. With `guard` (production) the
    connection goes only to an address that is not this machine's nor link-local."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with (_GUARDED if guard else _OPENER).open(request, timeout=timeout_s) as response:
            response.read(64 * 1024)
            return Answer(int(response.status))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:  # refused, reset, timed out, bad address
        return Answer(None, f"{type(exc).__name__}: {exc}"[:500])


def event_body(event: WebhookEvent, public_url: str = "") -> bytes:
    """The JSON body of an event, the same bytes on every attempt (the signature covers them)."""
    data = dict(event.payload)
    link = data.get("deep_link")
    if public_url and isinstance(link, str) and link.startswith("/"):
        data["deep_link"] = public_url.rstrip("/") + link
    body = {
        "id": str(event.id),
        "type": event.event_type,
        "created_at": event.created_at.isoformat() + "Z",
        "data": data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def backoff_s(attempts: int, config: WebhookSettings, jitter: float | None = None) -> float:
    """The wait after the `attempts`-th failed attempt: doubling, capped, +-20% jitter (so a
    receiver back from an outage is not met by every retry in the same second)."""
    base = min(config.backoff_max_s, config.backoff_base_s * 2 ** max(0, attempts - 1))
    spread = random.uniform(0.8, 1.2) if jitter is None else jitter
    return float(base * spread)


def _due(now: datetime) -> Any:
    return (
        (WebhookDelivery.state == PENDING)
        & (WebhookDelivery.next_attempt_at <= now)
        & (WebhookDelivery.lease_until.is_(None) | (WebhookDelivery.lease_until < now))
    )


def _claim(session: Session, now: datetime, lease_s: float) -> list[int]:
    """Lease up to CLAIM due deliveries to this sender; their IDs.

    A look that finds nothing due only reads: on SQLite a connection holding the write lock,
    even for a moment and changing nothing, makes any request that read first and then writes
    fail at once ("database is locked", no busy wait), so a sender polling every few seconds
    must not take it. The claim itself is one UPDATE, a write from its first statement."""
    if session.scalar(select(WebhookDelivery.id).where(_due(now)).limit(1)) is None:
        session.rollback()
        return []
    session.rollback()
    # The lease's end is this claim's mark (a random microsecond apart from another sender's).
    until = now + timedelta(seconds=lease_s, microseconds=random.randrange(1_000_000))
    chosen = (
        select(WebhookDelivery.id)
        .where(_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(CLAIM)
    )
    if session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(chosen.scalar_subquery()))
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.lease_until == until, WebhookDelivery.state == PENDING)
            .order_by(WebhookDelivery.id)
        )
    )
    session.commit()
    return ids


def _request(
    session: Session, delivery: WebhookDelivery, settings: Settings
) -> tuple[str, bytes, dict[str, str], float] | Answer:
    """The POST to make for a delivery (URL, body, headers, timeout), or the answer it gets
    without one (its subscription was switched off)."""
    event = session.get(WebhookEvent, delivery.event_id)
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    assert event is not None and subscription is not None
    if not subscription.active:
        return Answer(None, SWITCHED_OFF)
    body = event_body(event, settings.api.public_url)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "escr-webhooks/1",
        SIGNATURE_HEADER: sign(subscription.secret, int(time.time()), body),
        EVENT_ID_HEADER: str(event.id),
        EVENT_TYPE_HEADER: event.event_type,
    }
    return subscription.url, body, headers, settings.webhooks.timeout_s


def _record(
    delivery: WebhookDelivery, answer: Answer, config: WebhookSettings, now: datetime
) -> None:
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.last_status = answer.status
    if answer.ok:
        delivery.state, delivery.delivered_at, delivery.last_error = DELIVERED, now, ""
        return
    delivery.last_error = answer.error or f"HTTP {answer.status}"
    if delivery.attempts >= config.max_attempts or answer.error == SWITCHED_OFF:
        delivery.state = FAILED
        log.warning("webhook.given_up", delivery_id=delivery.id, attempts=delivery.attempts)
        return
    delivery.next_attempt_at = now + timedelta(seconds=backoff_s(delivery.attempts, config))


@dataclass
class Round:
    """One pass: how many were sent and failed, and when the next pending one is due."""

    delivered: int = 0
    failed: int = 0
    next_due: datetime | None = None


def production_post(settings: Settings) -> Post:
    """The sender's POST: in production it connects only to checked addresses (the
    subscription's check reads the URL; a name is only known once resolved)."""
    return partial(http_post, guard=settings.api.environment == "production")


def deliver_due(
    factory: sessionmaker[Session], settings: Settings, *, post: Post | None = None
) -> Round:
    """Send every delivery due now (claimed CLAIM at a time), recording each answer."""
    post = post or production_post(settings)
    done = Round()
    lease_s = settings.webhooks.timeout_s * CLAIM + 30
    while True:
        with factory() as session:
            ids = _claim(session, utcnow(), lease_s)
            deliveries = [session.get(WebhookDelivery, i) for i in ids]
            requests = [_request(session, d, settings) for d in deliveries if d is not None]
            # No transaction is open across the POSTs, and the answers are kept in one commit:
            # every commit here is one a request of the API may have to wait for.
            session.commit()
            answers = [post(*r) if isinstance(r, tuple) else r for r in requests]
            for delivery, answer in zip(deliveries, answers, strict=True):
                assert delivery is not None
                _record(delivery, answer, settings.webhooks, utcnow())
                if answer.ok:
                    done.delivered += 1
                else:
                    done.failed += 1
                    log.info("webhook.retry", delivery_id=delivery.id, error=answer.error)
            session.commit()
            if len(ids) < CLAIM:
                done.next_due = session.scalar(
                    select(func.min(WebhookDelivery.next_attempt_at)).where(
                        WebhookDelivery.state == PENDING
                    )
                )
                return done


class DeliveryThread:
    """The embedded sender: a daemon thread that sends what is due, sleeping until the next
    due time, the poll interval, or a wake from the outbox, whichever is first.

    Supervised: an exception in a pass (the catalog locked, a bug) is logged and the loop goes
    on after a pause that doubles up to a minute; it never ends the thread."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, post: Post | None = None
    ) -> None:
        self.factory, self.settings, self.post = factory, settings, post
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.errors = 0

    def start(self) -> None:
        outbox.add_listener(self._wake.set)
        self._thread = threading.Thread(target=self._run, name="escr-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        outbox.remove_listener(self._wake.set)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            wait = self.settings.webhooks.poll_s
            try:
                result = deliver_due(self.factory, self.settings, post=self.post)
                self.passes += 1
                pause = 1.0
                if result.next_due is not None:
                    until = (result.next_due - utcnow()).total_seconds()
                    wait = max(0.05, min(wait, until))
            except DBAPIError as exc:
                # A catalog not migrated yet (an app started before `escr migrate`) or briefly
                # locked: said once per kind of error, then retried quietly.
                self.errors += 1
                if self.errors == 1 or self.errors % 100 == 0:
                    log.warning("webhook.catalog_unavailable", error=str(exc.orig)[:200])
                wait, pause = pause, min(60.0, pause * 2)
            except Exception:  # supervised: logged with its trace, and the loop goes on
                self.errors += 1
                log.exception("webhook.sender_error", pause_s=pause)
                wait, pause = pause, min(60.0, pause * 2)
            self._wake.wait(wait)
            self._wake.clear()
