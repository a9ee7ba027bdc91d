"""The CMS's person events, its webhook endpoint and the links it follows (docs/decisions/0038):
the harness's second half, beside client.py's documents.

`WebhookReceiver` is what a CMS runs to hear from escr: a local HTTP port that checks each
delivery's signature and replay window, keeps each event once (delivery is at least once), and
can be told to fail its first requests to exercise escr's retries.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2 as httpx

from domain.webhook_signature import EVENT_ID_HEADER, SIGNATURE_HEADER, BadSignature, verify
from tests.cms_harness.client import CmsClient


def _json(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def merge(cms: CmsClient, source: str, into: str, reason: str) -> dict[str, Any]:
    """The CMS merged `source` into `into`."""
    body = {"from": source, "into": into, "reason": reason}
    return _json(cms.http.post("/api/people/merge", headers=cms.headers, json=body))


def split(
    cms: CmsClient,
    source: str,
    into: str,
    document_ids: list[int],
    reason: str,
    new_person: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The CMS split `source`: these documents belong to `into`."""
    body: dict[str, Any] = {
        "from": source,
        "into": into,
        "document_ids": document_ids,
        "reason": reason,
    }
    if new_person is not None:
        body["new_person"] = new_person
    return _json(cms.http.post("/api/people/split", headers=cms.headers, json=body))


def undo(cms: CmsClient, event_id: int, reason: str) -> dict[str, Any]:
    path = f"/api/people/events/{event_id}/undo"
    return _json(cms.http.post(path, headers=cms.headers, json={"reason": reason}))


def subscribe(cms: CmsClient, url: str, secret: str, events: list[str] | None = None) -> int:
    """Register the CMS's endpoint; returns the subscription's ID."""
    body = {"url": url, "secret": secret, "events": events or []}
    answer = cms.http.post("/api/webhooks/subscriptions", headers=cms.headers, json=body)
    return int(_json(answer, 201)["id"])


@dataclass
class WebhookReceiver:
    """The CMS's endpoint: every request kept (headers, body, status answered), the verified
    events once each by ID, and the refusals (bad signature or outside the window)."""

    secret: str
    fail_first: int = 0
    url: str = ""
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            if len(self.requests) < self.fail_first:
                self.requests.append((headers, body, 500))
                return 500
            try:
                verify(self.secret, headers.get(SIGNATURE_HEADER, ""), body, now=time.time())
            except BadSignature as exc:
                self.refused.append(str(exc))
                self.requests.append((headers, body, 401))
                return 401
            event = json.loads(body)
            assert event["id"] == headers.get(EVENT_ID_HEADER)
            self.events.setdefault(event["id"], event)  # a redelivery is dropped
            self.requests.append((headers, body, 200))
            return 200

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """The first `count` distinct events, waiting for them to arrive."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                if len(self.events) >= count:
                    return list(self.events.values())
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.events)} of {count} events arrived")
            time.sleep(0.05)


@contextmanager
def receiving(secret: str, fail_first: int = 0) -> Iterator[WebhookReceiver]:
    """A receiver listening on a free local port while the block runs."""
    receiver = WebhookReceiver(secret, fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.handle(dict(self.headers), body)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/escr-events"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def follow(browser: httpx.Client, path: str, **params: Any) -> httpx.Response:
    """A practitioner's browser (signed in) following a link from a case note, one hop."""
    return browser.get(path, params=params, follow_redirects=False)
