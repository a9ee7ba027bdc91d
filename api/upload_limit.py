"""Body limits at the door: a request to an upload route whose Content-Length is larger than
ESCR_INTAKE__MAX_MB (and a margin for the multipart framing and metadata), or to any other
route larger than OTHER_MB, is answered 413 before its body is read. Starlette parses a
multipart body whole before the route runs, so the route's own check (api/routes/intake.py)
would take the bytes in first; a body with no length (chunked) is counted as it arrives and
cut off at the limit."""

from __future__ import annotations

import json
import re
from typing import Any

from core.settings import get_settings

# The routes that take a file: an upload for a person, a document's new version.
_UPLOAD = re.compile(r"^/api/(people/[^/]+/documents|documents/\d+/versions)/?$")
_MARGIN = 1024 * 1024  # multipart boundaries, part headers, the metadata part
# Every other body (a login, a form, a JSON body): the largest is a batch's ground truth for
# its quality report (20 MB, api/schemas/quality.py) with its framing. Starlette would spool a
# multipart body of any size to disk before a route, or its refusal, ran (a login's too).
OTHER_MB = 25


class UploadLimit:
    """ASGI middleware: every request body is bounded, an upload route's by the upload limit,
    any other by OTHER_MB."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and _UPLOAD.match(scope["path"]):
            max_mb = get_settings().intake.max_mb
            said = ("UploadTooLarge", f"the file is larger than {max_mb} MB, the upload limit")
            limit = max_mb * 1024 * 1024 + _MARGIN
        else:
            said = ("RequestTooLarge", f"the request body is larger than {OTHER_MB} MB")
            limit = OTHER_MB * 1024 * 1024
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(send, said)
            return
        await _counted(self.app, scope, receive, send, limit, said)


class _CutOff(Exception):
    """The body passed the limit: the read stops here."""


async def _counted(
    app: Any, scope: Any, receive: Any, send: Any, limit: int, said: tuple[str, str]
) -> None:
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
            await _too_large(send, said)

    try:
        await app(scope, counted_receive, checked_send)
    except Exception:
        if not cut:
            raise
        if not answered:
            await _too_large(send, said)


async def _too_large(send: Any, said: tuple[str, str]) -> None:
    """The 413, its body as api/errors.py writes one: `said` is (error, detail)."""
    error, detail = said
    body = json.dumps({"error": error, "detail": detail}).encode()
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
