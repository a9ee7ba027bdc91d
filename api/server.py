"""Serving the app with uvicorn, so that an over-long request is answered, never reset.

uvicorn's h11 protocol refuses a request head longer than h11 buffers with a 400 and closes at
once; the client is still sending, and a socket closed with unread bytes sends a TCP reset, so
the client sees "connection reset" instead of the answer. Here that answer is a 414 (or 431
for long headers) and the close lingers: the rest of the request is read and dropped until the
client stops, as web servers do.
"""

from __future__ import annotations

from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

# A request line and headers together: uvicorn's own default. The app refuses long query
# strings well below this (api/web/render.py), so this only meets requests far too long.
MAX_HEAD_BYTES = 16 * 1024
# How much of a refused request is read and dropped, and for how long, before closing anyway.
_LINGER_BYTES = 64 * 1024 * 1024
_LINGER_S = 10.0


class LingeringH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a clear answer and a lingering close for a head too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dropped: int | None = None  # bytes dropped since the refusal; None before

    def data_received(self, data: bytes) -> None:
        if self._dropped is None:
            super().data_received(data)
            return
        self._dropped += len(data)
        if self._dropped > _LINGER_BYTES:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        head, _ = self.conn.trailing_data
        if len(head) <= MAX_HEAD_BYTES:  # a malformed request, not a long one
            super().send_400_response(msg)
            return
        # No line end within the limit: the request line (the URL) is what is too long.
        status = 431 if b"\r\n" in head[:MAX_HEAD_BYTES] else 414
        what = "headers are" if status == 431 else "address (URL) is"
        self.logger.warning("Refused a request whose %s longer than %d bytes", what, MAX_HEAD_BYTES)
        self._answer(status, f"The request's {what} longer than {MAX_HEAD_BYTES} bytes.\n")
        self._dropped = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the answer goes out now; reading continues
        self.loop.call_later(_LINGER_S, self.transport.close)

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)


def serve(app: Any, host: str, port: int) -> None:
    """Run the app as `escr serve` does (tests start the same)."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=LingeringH11Protocol,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )
