"""Pick a renderer by MIME type and turn every failure into a reason code. Runs in a sandbox
child (workers/sandbox.py adds the time and memory limits); never raises for anything the
file contains."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

from core.logging import get_logger
from core.states import Reason
from workers.extract.base import Limits
from workers.extract.failures import ExtractionFailed
from workers.filetype import TEXT_APPLICATION_MIMES
from workers.render.base import RenderFailed, RenderRequest, RenderResult

log = get_logger(__name__)

RenderFn = Callable[[RenderRequest, Limits], RenderResult]

CONTAINER_MIME_TYPES = frozenset(
    {
        "application/zip",
        "application/x-zip-compressed",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/vnd.rar",
        "application/x-rar",
        "application/vnd.ms-tnef",
        "application/vnd.ms-outlook-pst",
        "application/x-outlook-pst",
        "application/mbox",
    }
)


def _renderer(module: str, name: str) -> RenderFn:
    """The function `name` of workers.render.`module`, imported with its first file (the
    parsers' imports stay out of the process that only dispatches)."""

    def run(request: RenderRequest, limits: Limits) -> RenderResult:
        import importlib

        fn: RenderFn = getattr(importlib.import_module(f"workers.render.{module}"), name)
        return fn(request, limits)

    run.__name__ = name
    return run


render_pdf = _renderer("pdf", "render_pdf")
render_image = _renderer("image", "render_image")
render_office = _renderer("office", "render_office")
render_office_text = _renderer("office", "render_office_text")
render_eml = _renderer("text", "render_eml")
render_msg = _renderer("text", "render_msg")
render_html = _renderer("text", "render_html")
render_plain = _renderer("text", "render_plain")
render_listing = _renderer("text", "render_listing")


def choose(mime: str) -> list[RenderFn]:
    """The renderers to try for `mime`, best first; empty where no rendition is made."""
    from workers.render.office import NATIVE_OFFICE_MIME_TYPES, OFFICE_MIME_TYPES

    mime = mime.lower()
    if mime in ("application/pdf", "application/x-pdf"):
        return [render_pdf]
    if mime in NATIVE_OFFICE_MIME_TYPES:  # its text, where LibreOffice cannot lay it out
        return [render_office, render_office_text]
    if mime in OFFICE_MIME_TYPES:
        return [render_office]
    if mime == "message/rfc822":
        return [render_eml]
    if mime == "application/vnd.ms-outlook":
        return [render_msg]
    if mime == "application/cdfv2":  # an OLE container libmagic could not name: MSG or Office
        return [render_msg, render_office]
    if mime in ("text/html", "application/xhtml+xml"):
        return [render_html]
    if mime in CONTAINER_MIME_TYPES:
        return [render_listing]
    if mime.startswith("image/"):
        return [render_image]
    if mime.startswith("text/") or mime in TEXT_APPLICATION_MIMES:
        return [render_plain]
    return []


def render_file(request: RenderRequest, limits: Limits) -> RenderResult:
    """The rendition of one file, or the reason there is none."""
    renderers = choose(request.mime)
    if not renderers:
        return RenderResult(
            ok=False, reason=Reason.UNSUPPORTED_TYPE.value, detail=f"no rendition of {request.mime}"
        )
    started = time.monotonic()
    result = RenderResult(ok=False, reason=Reason.CORRUPT.value)
    for renderer in renderers:
        result = _guarded(renderer, request, limits)
        if result.ok:
            break
    result.seconds = time.monotonic() - started
    return result


def _guarded(renderer: RenderFn, request: RenderRequest, limits: Limits) -> RenderResult:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return renderer(request, limits)
    except RenderFailed as exc:
        return _failed(renderer, exc.reason, exc.detail)
    except ExtractionFailed as exc:
        return _failed(renderer, exc.reason.value, exc.detail)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return _failed(renderer, Reason.TOO_LARGE.value, str(exc)[:200])
    except MemoryError:
        return _failed(renderer, Reason.MEMORY_LIMIT.value, "MemoryError")
    except RecursionError:
        return _failed(renderer, Reason.CORRUPT.value, "structure nested too deeply")
    except Exception as exc:  # any other failure of a renderer means the file is broken
        return _failed(renderer, Reason.CORRUPT.value, f"{type(exc).__name__}: {exc}"[:200])


def _failed(renderer: RenderFn, reason: str, detail: str) -> RenderResult:
    log.info("render.failed", renderer=renderer.__name__, reason=reason)
    return RenderResult(ok=False, reason=reason, detail=detail, method=renderer.__name__)
