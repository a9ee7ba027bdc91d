"""OCR confidence on a document: each OCRed page's, their mean, and the pages a person should
check because OCR read them too poorly to trust (decision 0026)."""

from __future__ import annotations

from collections.abc import Mapping

from catalog.models import Document
from domain.ocr import needs_review


def record_confidence(document: Document, by_page: Mapping[int, float | None]) -> None:
    """Keep the OCR confidence of the document's pages (none: it had no OCRed page)."""
    known = [value for value in by_page.values() if value is not None]
    document.ocr_page_confidence = {str(page): value for page, value in by_page.items()} or None
    document.ocr_confidence = round(sum(known) / len(known), 3) if known else None
    document.ocr_review_pages = sum(1 for value in by_page.values() if needs_review(value))


def copy_confidence(document: Document, twin: Document) -> None:
    """The same content read once: a twin's confidence is the document's."""
    document.ocr_confidence = twin.ocr_confidence
    document.ocr_page_confidence = twin.ocr_page_confidence
    document.ocr_review_pages = twin.ocr_review_pages
