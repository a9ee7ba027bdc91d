"""What a sandbox child is sent to burn redactions into one document's rendition, and what comes
back (both pickle). Docs/decisions/0034."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    """A rectangle on a page (0-based `page`) in PDF points from the top left of the page as
    shown (x0, y0 its top left corner): a reviewer's box, or a term's found place."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class RedactRequest:
    """Burn one PDF: every occurrence of `terms` and every one of `boxes` blacked out in the
    pixels of a fresh image-only PDF at `out_path` (with `footer`, a white strip under each
    page for the bundle's page number), then checked by the release gate.

    `scratch` is the job's own folder, added by the pool just before sending."""

    path: str
    out_path: str
    terms: tuple[str, ...] = ()
    boxes: tuple[Box, ...] = ()
    footer: bool = False
    dpi: int = 200
    jpeg_quality: int = 80
    ocr_language: str = "eng"
    timeout_s: float | None = None
    scratch: str = ""
    mime: str = "application/pdf"  # for the pool's log lines, as other requests have


@dataclass
class RedactResult:
    """A burned PDF (`ok`) or why not. `drawn` lists every box blacked out (found and given);
    `found` each (page, term) the burn-in found; `image_sha256` the SHA-256 of each page's
    image stream as gated, so the bundle can prove its pages are the ones checked; `ocr_pages`
    the pages the gate read again with Tesseract; `leaks` what the gate still found (a result
    with leaks is never ok)."""

    ok: bool
    pages: int = 0
    drawn: list[Box] = field(default_factory=list)
    found: list[tuple[int, str]] = field(default_factory=list)
    image_sha256: list[str] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    reason: str | None = None
    detail: str = ""
    seconds: float = 0.0
    render_seconds: float = 0.0  # of `seconds`, PDFium's rasterising alone
    gate_seconds: float = 0.0  # of `seconds`, the release gate's
