"""Signing escr's webhooks, and checking a signature as a receiver must (docs/decisions/0038).

The signature is HMAC-SHA256, keyed by the subscription's secret, over the timestamp, a dot and
the exact body bytes: `Escr-Signature: t=<unix seconds>,v1=<hex digest>`. The timestamp is
signed with the body, so a receiver that refuses a timestamp outside its replay window refuses
a replayed delivery however the attacker got it. The event's ID is in the body and in
`Escr-Event-Id`: delivery is at least once, so a receiver drops an ID it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Escr-Signature"
EVENT_ID_HEADER = "Escr-Event-Id"
EVENT_TYPE_HEADER = "Escr-Event-Type"
# Five minutes either side: clocks of two councils' servers agree within that, and a replay
# must come within it.
DEFAULT_TOLERANCE_S = 300


class BadSignature(ValueError):
    """The header is missing, malformed, outside the replay window or does not match."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for this body sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> int:
    """Check a delivery as a receiver must; returns its timestamp or raises BadSignature.

    Several `v1=` values are accepted (one per secret while a secret is rotated)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadSignature("the signature header has no timestamp or no v1 signature")
    if abs(now - timestamp) > tolerance_s:
        raise BadSignature(
            f"the timestamp is {int(now - timestamp)} s from now: outside the window"
        )
    expected = _digest(secret, timestamp, body).encode()
    # As bytes: compare_digest refuses str holding non-ASCII with a TypeError, not a mismatch.
    if not any(hmac.compare_digest(expected, s.encode()) for s in signatures):
        raise BadSignature("no signature matches the body")
    return timestamp
