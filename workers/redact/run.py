"""The sandbox child's entry for a redaction job: burn and gate, every failure a reason code
(never an exception out of the child's loop)."""

from __future__ import annotations

import time
import warnings

from core.states import Reason
from workers.extract.base import Limits
from workers.redact.base import RedactRequest, RedactResult

# Seconds a page may take (rasterise, encode, and OCR where redacted), on top of the pool's
# base limit, when a document's pages go in one job.
SECONDS_A_PAGE = 15.0


def redact_limits(limits: Limits, request: RedactRequest) -> Limits:
    if request.timeout_s is None:
        return limits
    from dataclasses import replace

    return replace(limits, timeout_s=max(limits.timeout_s, request.timeout_s))


def redact_file(request: RedactRequest, limits: Limits) -> RedactResult:
    import pypdfium2 as pdfium
    from PIL import Image

    from workers.redact.burn import burn

    started = time.monotonic()
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return burn(request, limits)
    except pdfium.PdfiumError as exc:
        reason = Reason.ENCRYPTED if "password" in str(exc).lower() else Reason.CORRUPT
        return _failed(reason.value, f"pdfium: {exc}"[:200], started)
    except MemoryError:
        return _failed(Reason.MEMORY_LIMIT.value, "MemoryError", started)
    except Exception as exc:  # a rendition that cannot be burned is refused, never released
        return _failed(Reason.CORRUPT.value, f"{type(exc).__name__}: {exc}"[:200], started)


def _failed(reason: str, detail: str, started: float) -> RedactResult:
    return RedactResult(ok=False, reason=reason, detail=detail, seconds=time.monotonic() - started)
