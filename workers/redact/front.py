"""The pages of a SAR bundle that escr writes itself: the covering letter with the Art 15
supplementary information, the index of documents, the redaction log and the glossary
(../shared/DOMAIN.md "Subject access"; docs/decisions/0034). Written by fpdf2 as text (our own
words, and the values the caller has already scrubbed of redacted terms); the bundle's
assembly strips what fpdf2 adds besides pages, and the release gate reads them like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from fpdf import FPDF

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# The Art 15(1) and (2) information, in plain words (UK GDPR Art 15; DOMAIN.md).
ART15 = (
    (
        "Why we hold your information (purposes)",
        "The council holds these records to provide and arrange social care and support, and "
        "to protect children and adults at risk, as the Children Act 1989, the Children Act "
        "2004 and the Care Act 2014 require.",
    ),
    (
        "Who it may be shared with (recipients)",
        "Where the law requires or allows it: health services, the police, schools, courts, "
        "other councils and agencies working with you or your family, and the council's "
        "auditors and regulators.",
    ),
    (
        "How long it is kept (retention)",
        "For the periods in the council's retention schedule, which follows statutory "
        "guidance (for example, a looked after child's file until their 75th birthday). A copy "
        "of this response is kept as a record of it for as long as your record is kept.",
    ),
    (
        "Your rights",
        "You may ask us to correct information that is wrong, to restrict or object to how it "
        "is used, and in some cases to erase it (records the law requires us to keep are "
        "normally outside the right to erasure). Ask the Information Governance team.",
    ),
    (
        "Complaining to the ICO",
        "If you are unhappy with how we have handled your request you may complain to the "
        "Information Commissioner's Office: ico.org.uk/make-a-complaint, telephone 0303 123 "
        "1113, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF.",
    ),
    (
        "Where the information came from (source)",
        "From you and your family, from professionals and agencies who worked with you, and "
        "from the council's own staff. The index names the system each document came from.",
    ),
    (
        "What has been withheld, and why",
        "Some information has been blacked out (redacted) because the law allows or requires "
        "it to be withheld, most often because it is about another person. The redaction log "
        "at the end of this bundle lists each page, the exemption and the reason.",
    ),
)


@dataclass(frozen=True)
class Letter:
    subject_name: str
    reference: str
    received: str
    released: str
    documents: int
    pages: int


@dataclass(frozen=True)
class IndexRow:
    number: int
    title: str
    date: str
    doc_type: str
    source_system: str
    pages: str  # "5-9"


@dataclass(frozen=True)
class LogRow:
    page: int
    code: str
    reason: str
    approver: str


class _Pages(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font("DejaVu", "", _FONT)
        self.add_font("DejaVu", "B", _BOLD)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 20, 20)

    def heading(self, text: str) -> None:
        self.set_font("DejaVu", "B", 14)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def para(self, text: str, size: int = 10, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def row(self, widths: tuple[int, ...], cells: tuple[str, ...], bold: bool = False) -> None:
        """One table row; long cells are cut to one line so every row is the same height (the
        index's length then depends only on how many rows it has)."""
        self.set_font("DejaVu", "B" if bold else "", 8)
        for width, cell in zip(widths, cells, strict=True):
            text = cell
            while text and self.get_string_width(text) > width - 2:
                text = text[:-2] + "…"
            self.cell(width, 6, text, border=1)
        self.ln(6)


def _bytes(pdf: FPDF) -> bytes:
    pdf.set_creator("")
    pdf.set_producer("")
    return bytes(pdf.output())


def letter_pdf(letter: Letter) -> bytes:
    pdf = _Pages()
    pdf.add_page()
    pdf.heading("Your subject access request")
    pdf.para(f"Reference: {letter.reference}    Received: {letter.received}")
    pdf.para(f"Sent: {letter.released}")
    pdf.ln(3)
    pdf.para(
        f"Dear {letter.subject_name},\n\nYou asked for a copy of the information the council "
        f"holds about you (UK GDPR Article 15). This bundle holds {letter.documents} documents "
        f"on {letter.pages} numbered pages. The index that follows lists each one with its "
        "date, type, the system it came from and its pages in this bundle; a glossary at the "
        "end explains social care words."
    )
    for title, text in ART15:
        pdf.ln(2)
        pdf.para(title, bold=True)
        pdf.para(text)
    pdf.ln(3)
    pdf.para("Yours sincerely,\nInformation Governance")
    return _bytes(pdf)


INDEX_WIDTHS = (10, 70, 22, 30, 22, 16)


def index_pdf(rows: list[IndexRow]) -> bytes:
    pdf = _Pages()
    pdf.add_page()
    pdf.heading("Index of documents")
    head = ("No.", "Document", "Date", "Type", "Source", "Pages")
    pdf.row(INDEX_WIDTHS, head, bold=True)
    for row in rows:
        cells = (str(row.number), row.title, row.date, row.doc_type, row.source_system, row.pages)
        pdf.row(INDEX_WIDTHS, cells)
    return _bytes(pdf)


def log_pdf(rows: list[LogRow]) -> bytes:
    pdf = _Pages()
    pdf.add_page()
    pdf.heading("Redaction log")
    pdf.para("Each row is one redaction on one page: the exemption relied on and why.")
    pdf.ln(2)
    widths = (14, 52, 80, 24)
    pdf.row(widths, ("Page", "Exemption", "Reason", "Approved by"), bold=True)
    for row in rows:
        pdf.row(widths, (str(row.page), row.code, row.reason, row.approver))
    if not rows:
        pdf.para("Nothing in this bundle has been redacted.")
    return _bytes(pdf)


@lru_cache(maxsize=1)
def glossary() -> list[tuple[str, str]]:
    entries = yaml.safe_load(Path(__file__).with_name("glossary.yaml").read_text("utf-8"))
    return [(str(e["term"]), str(e["meaning"])) for e in entries]


def glossary_pdf() -> bytes:
    pdf = _Pages()
    pdf.add_page()
    pdf.heading("Glossary of social care words")
    for term, meaning in glossary():
        pdf.para(term, bold=True)
        pdf.para(meaning)
        pdf.ln(1)
    return _bytes(pdf)
