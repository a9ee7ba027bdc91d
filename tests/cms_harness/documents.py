"""Documents a CMS sends, made by the synthetic archive's own writers (fpdf2, Pillow)."""

from __future__ import annotations

from datetime import date

from workers.synth.files import TextDoc, pdf_bytes, png_bytes, scan_images
from workers.synth.text import PAGE_BREAK


def letter_pdf(word: str, pages: int = 3) -> bytes:
    """A born-digital letter of `pages` pages whose text holds `word` on its last page."""
    paragraphs: list[str] = []
    for page in range(1, pages + 1):
        paragraphs += [
            f"Page {page}. We write about the review meeting held at the family centre.",
            "The social worker met the family and discussed the plan for the coming months.",
        ]
        if page < pages:
            paragraphs.append(PAGE_BREAK)
    paragraphs.append(f"Reference word: {word}.")
    doc = TextDoc(
        title="Letter to the family",
        header=["From: Children's Services", "To: The family"],
        paragraphs=paragraphs,
        created=date(2026, 11, 2),
        author="Children's Services",
    )
    return pdf_bytes(doc)


def scan_png(word: str) -> bytes:
    """A one-page scan (no text layer) that OCR reads `word` from."""
    image = scan_images([(["Note of a telephone call", "from the school office"], word.upper())])
    return png_bytes(image[0])
