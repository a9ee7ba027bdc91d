"""What an extractor returns and the limits it runs under; shared by the sandbox and its callers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Limits applied to one untrusted parse (enforced by the sandbox's child process)."""

    timeout_s: float = 120.0
    memory_mb: int = 1024
    max_image_pixels: int = 100_000_000
    max_text_chars: int = 5_000_000
    ocr_language: str = "eng"
    ocr_page_timeout_s: float = 60.0
    ocr_dpi: int = 200
    # A container (DOCX, ODT) whose members declare more than this unpacked is a zip bomb.
    max_unpacked_mb: int = 256


@dataclass
class Attachment:
    """A file found inside another (an email attachment); `path` is a temp file the caller owns."""

    name: str
    path: str


@dataclass
class ExtractionResult:
    """The outcome of extracting one file. `reason` is a core.states.Reason value or None."""

    ok: bool
    text: str = ""
    pages: int = 0
    ocr_pages: int = 0
    engine: str = ""
    reason: str | None = None
    detail: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # Metadata the file itself states (an email's subject, date, sender), used for title and date.
    metadata: dict[str, str] = field(default_factory=dict)
    # True when the text was cut at Limits.max_text_chars.
    truncated: bool = False
