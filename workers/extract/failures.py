"""The exception an extractor raises to end a file with a definite reason code."""

from __future__ import annotations

from core.states import Reason


class ExtractionFailed(Exception):
    """A file that cannot be extracted for a known reason (encrypted, too large, ...)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(detail or reason.value)
        self.reason = reason
        self.detail = detail


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse an image (or image frame) past the pixel limit before it is decoded."""
    if width * height > max_pixels:
        raise ExtractionFailed(Reason.TOO_LARGE, f"image of {width}x{height} pixels")


def check_unpacked_size(declared: int, limit: int) -> None:
    """Refuse a container whose members would inflate past `limit` bytes (a zip bomb)."""
    if declared > limit:
        raise ExtractionFailed(Reason.TOO_LARGE, f"unpacks to {declared // 2**20} MiB")
