"""An upload whose Content-Length is past the limit is refused before its body is read: a
client announcing 50 MB and sending nothing is answered 413 at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from api.app import create_app
from core.settings import Settings, get_settings


def _call(app: Any, path: str, length: int) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await never.wait()  # the body never comes: only an answer without it can finish
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [
            (b"content-length", str(length).encode()),
            (b"content-type", b"multipart/form-data; boundary=x"),
        ],
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=10))
    return sent


def test_an_oversized_upload_is_refused_before_its_body(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCR_INTAKE__MAX_MB", "2")
    get_settings.cache_clear()
    app = create_app()
    for path in ("/api/people/MOS1/documents", "/api/documents/7/versions"):
        sent = _call(app, path, 50 * 1024 * 1024)
        assert sent[0]["status"] == 413, path
        assert "2 MB" in json.loads(sent[1]["body"])["detail"]


def test_a_chunked_upload_is_cut_off_at_the_limit_before_anyone_is_asked_who_they_are(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunked body names no length. Starlette parsed it whole, to a temporary file, before
    the route (or its 401) ran: anyone, without a token, could send gigabytes to be written to
    the server's disk. The door now counts the bytes as they come and answers 413 past the
    limit, reading no further."""
    monkeypatch.setenv("ESCR_INTAKE__MAX_MB", "2")
    get_settings.cache_clear()
    app = create_app()
    boundary = b"x"
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"'
        b"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    chunk = b"\0" * (1024 * 1024)
    total = 50  # MB offered
    pulled = [0]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        pulled[0] += 1
        if pulled[0] == 1:
            return {"type": "http.request", "body": head, "more_body": True}
        return {"type": "http.request", "body": chunk, "more_body": pulled[0] <= total}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "path": "/api/people/MOS1/documents", "raw_path": b"/api/people/MOS1/documents",
        "query_string": b"", "root_path": "", "scheme": "http", "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [
            (b"transfer-encoding", b"chunked"),
            (b"content-type", b"multipart/form-data; boundary=" + boundary),
        ],
    }  # fmt: skip
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    assert sent[0]["status"] == 413
    assert pulled[0] <= 2 + 1 + 2  # the head, the 2 MB allowed and the margin's, one past


def _send_chunked(app: Any, path: str, megabytes: int) -> tuple[list[dict[str, Any]], int]:
    """A multipart body of `megabytes` MB sent chunked; the answer and how many reads it took."""
    head = (
        b'--x\r\nContent-Disposition: form-data; name="username"; filename="a.pdf"'
        b"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    chunk = b"\0" * (1024 * 1024)
    pulled = [0]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        pulled[0] += 1
        body = head if pulled[0] == 1 else chunk
        return {"type": "http.request", "body": body, "more_body": pulled[0] <= megabytes}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1234),
        "headers": [
            (b"transfer-encoding", b"chunked"),
            (b"content-type", b"multipart/form-data; boundary=x"),
        ],
    }  # fmt: skip
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=60))
    return sent, pulled[0]


def test_every_other_body_is_bounded_too(settings: Settings) -> None:
    """The login form (no account needed) took a multipart body of any size, spooled to disk
    before the route ran; now any body past 25 MB is a 413, by its length or as it arrives."""
    app = create_app()
    assert _call(app, "/login", 200 * 1024 * 1024)[0]["status"] == 413
    sent, pulled = _send_chunked(app, "/login", 100)
    assert sent[0]["status"] == 413 and pulled <= 1 + 25 + 1
    assert json.loads(sent[1]["body"])["error"] == "RequestTooLarge"
