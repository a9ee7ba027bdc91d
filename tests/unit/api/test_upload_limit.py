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
