"""When OCR text is too doubtful to trust: the rule the pipeline records by and the faces show
(decision 0026)."""

from __future__ import annotations

from collections.abc import Mapping

# A page OCR read with less mean word confidence than this is listed for a person to check:
# on the generated scans, pages below it had a tenth or more of their words misread.
REVIEW_BELOW = 0.80


def needs_review(confidence: float | None) -> bool:
    """Whether an OCRed page's text is too doubtful to trust without a person's look (a page
    with no text at all, confidence None, is a blank page)."""
    return confidence is not None and confidence < REVIEW_BELOW


def pages_to_review(by_page: Mapping[str, float | None] | None) -> list[int]:
    """The numbers of the pages, of a document's stored page confidences (keys are page
    numbers as JSON keeps them), that need a person's look, in page order."""
    return sorted(int(page) for page, value in (by_page or {}).items() if needs_review(value))
