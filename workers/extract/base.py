"""What an extractor returns and the limits it runs under; shared by the sandbox and its callers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.extract.signals import TextSignals


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
    # A container (DOCX, ODT) whose members declare more than this unpacked is a zip bomb; an
    # archive (ZIP, 7z, tar, mbox, ...) is also refused once its members unpack past it.
    max_unpacked_mb: int = 256
    # An archive with more members than this is a member-count bomb (docs/decisions/0025).
    max_members: int = 10_000
    # A member unpacking to more than this many times its packed size (once past 16 MiB) is a
    # ratio bomb: documents compress 1-20x, zeros 1000x (docs/decisions/0025).
    max_member_ratio: int = 100


@dataclass(frozen=True)
class PageRange:
    """Pages `first`..`last` (1-based, inclusive; `last` None: to the end) of a paged document.

    With `ocr` False only text layers are read, and the pages without one are listed in
    ExtractionResult.pending_ocr for OCR by page range later (docs/decisions/0010).
    Extractors that do not page (images, office files) ignore it and read the whole file.
    """

    first: int = 1
    last: int | None = None
    ocr: bool = True


# Every page's text layer, no OCR: the first pass of a PDF in the Celery pipeline.
TEXT_LAYERS = PageRange(ocr=False)


@dataclass(frozen=True)
class PageText:
    """One page's text; `text` None is a page waiting for OCR. `confidence`: how sure OCR
    was of an OCRed page's words (0..1; None for a text layer or a page with no text)."""

    page_no: int
    text: str | None
    ocr: bool = False
    confidence: float | None = None


def ocr_confidence(pages: Iterable[PageText]) -> dict[int, float | None]:
    """The OCR confidence of each OCRed page, by page number (ExtractionResult.ocr_confidence)."""
    return {page.page_no: page.confidence for page in pages if page.ocr and page.text is not None}


def split_pages(pages: list[int], size: int) -> list[tuple[int, int]]:
    """Ranges (first, last) spanning at most `size` pages that together cover `pages`.

    Pages in a range that were not asked for (they have a text layer) cost little to read again.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    ranges: list[tuple[int, int]] = []
    for page in sorted(set(pages)):
        if ranges and page - ranges[-1][0] < size:
            ranges[-1] = (ranges[-1][0], page)
        else:
            ranges.append((page, page))
    return ranges


# The name of a sandbox extraction job's scratch folder, where it writes attachments.
SCRATCH_PREFIX = "job-"


@dataclass
class Attachment:
    """A file found inside another (an email attachment, an archive's member); `path` is a temp
    file the caller owns. `reason`: the child ends quarantined with it (an encrypted member)
    instead of being extracted; `name` empty: named after its parent (a .gz's one member)."""

    name: str
    path: str
    reason: str | None = None
    detail: str = ""


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
    # With a PageRange: the pages read, in order (a page waiting for OCR has text None), and
    # the numbers of the pages that have no text layer and were not OCRed.
    page_texts: list[PageText] = field(default_factory=list)
    pending_ocr: list[int] = field(default_factory=list)
    # Each OCRed page's confidence, by page number (kept when page_texts is emptied).
    ocr_confidence: dict[int, float | None] = field(default_factory=dict)
    # The text's keyword rules, NHS numbers and first date, scanned by the sandbox child that
    # read it (when it knew the rules and the text was whole: no pages left for OCR).
    signals: TextSignals | None = None
