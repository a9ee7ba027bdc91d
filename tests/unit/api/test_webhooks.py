"""Signed webhooks: a receiver on a local port that fails twice then succeeds gets the event
once more after its failures and never again, each delivery's signature verified and the
replay window enforced; the outbox written when documents are indexed by a load."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document
from catalog.models_webhooks import WebhookDelivery, WebhookEvent, WebhookSubscription
from catalog.schema import migrate
from core.clock import utcnow
from core.settings import Settings
from domain.webhook_signature import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    BadSignature,
    sign,
    verify,
)
from tests.factories.teams import make_teams_archive
from tests.unit.access.conftest import ADMIN, World
from tests.unit.api.cms_world import cms_world
from workers.load import load_archive

__all__ = ["cms_world"]
SECRET = "a-long-shared-secret-for-the-cms-0123456789"


@dataclass
class Receiver:
    """A CMS's webhook endpoint: answers 500 to the first `fail` requests, then 200."""

    fail: int
    url: str = ""
    got: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(fail=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                status = 500 if len(state.got) < state.fail else 200
                state.got.append((dict(self.headers), body, status))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/escr-events"
    yield state
    server.shutdown()
    server.server_close()


def _wait(predicate: object, timeout_s: float = 20.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_receiver_failing_twice_gets_the_event_once_more_signed(
    cms_world: World, receiver: Receiver
) -> None:
    world = cms_world
    made = world.client.post(
        "/api/webhooks/subscriptions",
        json={"url": receiver.url, "secret": SECRET, "events": ["document.relinked"]},
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text
    assert made.json()["secret"] == SECRET
    listed = world.client.get("/api/webhooks/subscriptions", headers=ADMIN).json()
    assert "secret" not in listed[0]
    moving = world.ids["D5"]  # Cara's letter, alone: one event
    split = world.client.post(
        "/api/people/split",
        json={
            "from": "MOS3",
            "into": "MOS1",
            "document_ids": [moving],
            "reason": "The letter was about Ann, filed on Cara by mistake",
        },
        headers=ADMIN,
    )
    assert split.status_code == 200, split.text

    _wait(lambda: len(receiver.got) >= 3)
    time.sleep(1.5)  # many poll intervals and backoffs: nothing more may come
    assert [status for _, _, status in receiver.got] == [500, 500, 200]
    ids = {headers[EVENT_ID_HEADER] for headers, _, _ in receiver.got}
    assert len(ids) == 1  # the same event each time
    for headers, body, _ in receiver.got:
        stamp = verify(SECRET, headers[SIGNATURE_HEADER], body, now=time.time())
        event = json.loads(body)
        assert event["id"] in ids and event["type"] == "document.relinked"
        assert event["data"]["document_id"] == moving
        assert event["data"]["person_ids"] == ["MOS1"]
        assert event["data"]["from_person_id"] == "MOS3"
        with pytest.raises(BadSignature):  # a replay after the window
            verify(SECRET, headers[SIGNATURE_HEADER], body, now=stamp + 301)
        with pytest.raises(BadSignature):  # a body changed on the way
            verify(SECRET, headers[SIGNATURE_HEADER], body.replace(b"MOS1", b"MOS2"), now=stamp)
    with world.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
    shown = world.client.get(
        f"/api/webhooks/subscriptions/{made.json()['id']}/deliveries", headers=ADMIN
    ).json()
    assert shown[0]["state"] == "delivered" and shown[0]["attempts"] == 3


def test_a_signature_is_checked_by_the_window_and_the_secret() -> None:
    body = b'{"id":"1"}'
    header = sign(SECRET, 1_700_000_000, body)
    assert verify(SECRET, header, body, now=1_700_000_100) == 1_700_000_000
    for bad_header, now in (
        (header, 1_700_000_301),
        (header, 1_699_999_699),
        (sign("another-secret-of-enough-length-000", 1_700_000_000, body), 1_700_000_000),
        ("t=1700000000", 1_700_000_000),
        ("", 1_700_000_000),
        # A forged header's non-ASCII signature was a TypeError, not a refusal: a receiver
        # catching BadSignature answered 500.
        ("t=1700000000,v1=\u00e9", 1_700_000_000),
        ("t=1700000000,v1=" + "\u0661" * 64, 1_700_000_000),
    ):
        with pytest.raises(BadSignature):
            verify(SECRET, bad_header, body, now=now)


def test_a_load_writes_an_indexed_event_per_document_for_each_subscription(
    settings: Settings, tmp_path: Path
) -> None:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        session.add(
            WebhookSubscription(
                account="mosaic",
                url="http://127.0.0.1:9/none",
                secret=SECRET,
                events=["document.indexed"],
                active=True,
                created_at=utcnow(),
            )
        )
        session.add(
            WebhookSubscription(
                account="other",
                url="http://127.0.0.1:9/none",
                secret=SECRET,
                events=["document.disposed"],
                active=True,
                created_at=utcnow(),
            )
        )
        session.commit()
    manifest = make_teams_archive(tmp_path / "archive")
    load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        progress=False,
    )
    with session_factory(settings.database_url)() as session:
        indexed = set(session.scalars(select(Document.id).where(Document.state == "indexed")))
        events = list(session.scalars(select(WebhookEvent)))
        assert indexed and {e.document_id for e in events} == indexed
        assert {e.event_type for e in events} == {"document.indexed"}
        d1 = next(e for e in events if e.payload["person_ids"] == ["MOS1"])
        assert d1.payload["deep_link"] == f"/link/documents/{d1.document_id}"
        deliveries = list(session.scalars(select(WebhookDelivery)))
        assert len(deliveries) == len(events)  # the other subscription wants disposals only
        assert {d.state for d in deliveries} == {"pending"}


@pytest.fixture
def two_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCR_WEBHOOKS__MAX_ATTEMPTS", "2")


def test_deliveries_given_up_are_sent_again_on_request(
    two_attempts: None, cms_world: World, receiver: Receiver
) -> None:
    world = cms_world
    receiver.fail = 1_000  # down for longer than the retries
    made = world.client.post(
        "/api/webhooks/subscriptions",
        json={"url": receiver.url, "secret": SECRET, "events": ["document.relinked"]},
        headers=ADMIN,
    ).json()
    body = {"from": "MOS3", "into": "MOS1", "reason": "Duplicate records merged in Mosaic"}
    assert world.client.post("/api/people/merge", json=body, headers=ADMIN).status_code == 200
    path = f"/api/webhooks/subscriptions/{made['id']}"

    def states() -> list[str]:
        return [d["state"] for d in world.client.get(f"{path}/deliveries", headers=ADMIN).json()]

    _wait(lambda: states() == ["failed"])
    assert len(receiver.got) == 2  # two attempts, then given up
    receiver.fail = 0  # back
    again = world.client.post(f"{path}/redeliver", headers=ADMIN)
    assert again.status_code == 200 and again.json()["redelivering"] == 1
    _wait(lambda: states() == ["delivered"])
    assert [status for _, _, status in receiver.got] == [500, 500, 200]
