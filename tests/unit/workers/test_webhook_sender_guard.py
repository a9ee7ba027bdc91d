"""The webhook sender in production connects only to an address it has checked: a receiver's
name that resolves to this machine or the link-local range (the cloud's metadata service) is
not sent to, however the name was registered and whatever it resolves to later (DNS
rebinding). In development a local receiver is allowed, as the contract tests need."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from core.settings import Settings
from workers.webhooks import http_post, production_post


class _Receiver(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.seen.clear()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def cms_resolves_to_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CMS's name answering 127.0.0.1, as a rebinding DNS server would after registration."""
    real = socket.getaddrinfo

    def rebound(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "cms.council.example":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)


def test_production_does_not_send_to_a_name_that_resolves_to_this_machine(
    receiver: int, cms_resolves_to_this_machine: None
) -> None:
    url = f"http://cms.council.example:{receiver}/hook"
    answer = http_post(url, b"{}", {"Content-Type": "application/json"}, 5.0, guard=True)
    assert answer.status is None and "this machine or a link-local address" in answer.error
    assert _Receiver.seen == []
    # Development sends there (the contract tests' receivers listen on loopback).
    assert http_post(url, b"{}", {}, 5.0).status == 204
    assert _Receiver.seen == ["/hook"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "[::ffff:127.0.0.1]"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_production_does_not_send_to_this_machine_in_any_spelling(
    receiver: int, scheme: str, host: str
) -> None:
    answer = http_post(f"{scheme}://{host}:{receiver}/hook", b"{}", {}, 5.0, guard=True)
    assert answer.status is None and "this machine or a link-local address" in answer.error
    assert _Receiver.seen == []


def test_the_sender_guards_in_production_only(
    receiver: int, cms_resolves_to_this_machine: None
) -> None:
    url = f"http://cms.council.example:{receiver}/hook"
    production = Settings.model_validate({"api": {"environment": "production", "token": "x" * 40}})
    assert production_post(production)(url, b"{}", {}, 5.0).status is None
    assert production_post(Settings())(url, b"{}", {}, 5.0).status == 204
    assert _Receiver.seen == ["/hook"]


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(307)  # 307 keeps the method and body: the signed event, elsewhere
        self.send_header("Location", _Redirector.target)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_receivers_redirect_is_an_answer_not_followed(receiver: int) -> None:
    """security.md's claim, shown: a receiver answering 307 to another address (here this
    machine's) gets a failed attempt; the signed body goes nowhere else."""
    _Redirector.target = f"http://127.0.0.1:{receiver}/stolen"
    server = HTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = http_post(f"http://127.0.0.1:{server.server_address[1]}/hook", b"{}", {}, 5.0)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status == 307 and not answer.ok
    assert _Receiver.seen == []
