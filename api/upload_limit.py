"""The upload size limit at the door: a request to an upload route whose Content-Length is
larger than ESCR_INTAKE__MAX_MB (and a margin for the multipart framing and metadata) is
answered 413 before its body is read. Starlette parses a multipart body whole before the route
runs, so the route's own check (api/routes/intake.py) would take the bytes in first; a body
with no length (chunked) is counted as it arrives and cut off at the limit."""

from __future__ import annotations

import json
import re
from typing import Any

from core.settings import get_settings

# The routes that take a file: an upload for a person, a document's new version.
_UPLOAD = re.compile(r"^/api/(people/[^/]+/documents|documents/\d+/versions)/?$")
_MARGIN = 1024 * 1024  # multipart boundaries, part headers, the metadata part


class UploadLimit:
    """ASGI middleware; everything but an upload route's POST passes untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _UPLOAD.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        max_mb = get_settings().intake.max_mb
        limit = max_mb * 1024 * 1024 + _MARGIN
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(send, max_mb)
            return
        await _counted(self.app, scope, receive, send, limit, max_mb)


class _CutOff(Exception):
    """The body passed the limit: the read stops here."""


async def _counted(app: Any, scope: Any, receive: Any, send: Any, limit: int, max_mb: int) -> None:
    """Run the app with the body counted as it arrives: past `limit` the next read raises
    (Starlette closes the parts it spooled) and the answer is our 413, whatever the app made
    of the failed read. A chunked body names no length, and Starlette parses the whole body
    before the route or its authentication runs: without this anyone could have it write
    gigabytes to the server's disk."""
    seen, cut, answered = 0, False, False

    async def counted_receive() -> Any:
        nonlocal seen, cut
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                cut = True
                raise _CutOff
        return message

    async def checked_send(message: Any) -> None:
        nonlocal answered
        if not cut:
            await send(message)
        elif not answered:
            answered = True
            await _too_large(send, max_mb)

    try:
        await app(scope, counted_receive, checked_send)
    except Exception:
        if not cut:
            raise
        if not answered:
            await _too_large(send, max_mb)


async def _too_large(send: Any, max_mb: int) -> None:
    body = json.dumps(
        {
            "error": "UploadTooLarge",
            "detail": f"the file is larger than {max_mb} MB, the upload limit",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
