"""ETags for what a case management system fetches again and again (issue 16): a document's
metadata, text, original and rendition, a person's document list. A client that sends the
ETag back in If-None-Match is answered 304 with no body while nothing changed. The read is
still access-checked and audited first: a 304 says as much as a 200 would."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response


def strong(digest: str) -> str:
    """The ETag of bytes known by their SHA-256 (an original, a rendition)."""
    return f'"{digest}"'


def of_text(text: str) -> str:
    return strong(hashlib.sha256(text.encode()).hexdigest())


def of_json(body: Any) -> str:
    """The ETag of a JSON answer: weak, as equal JSON may be sent with other spacing."""
    data = json.dumps(body, sort_keys=True, default=str, separators=(",", ":")).encode()
    return f'W/"{hashlib.sha256(data).hexdigest()[:40]}"'


def matches(request: Request, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "private, no-cache"})


def tagged(request: Request, response: Response, body: Any) -> Any:
    """`body` with its ETag set on `response`, or a 304 where the client has it already."""
    etag = of_json(body)
    if matches(request, etag):
        return not_modified(etag)
    response.headers["ETag"] = etag
    return body
