"""Pages with third parties' names, postcodes and phone numbers planted in them, laid out the ways
case files are, for proving that the release gate's OCR (workers/redact/gate.py) still reads
every planted term (tests/unit/redact/test_gate_ocr.py, bench/bench_gate_ocr.py; decision 0047).

Each kind is one source PDF: born-digital pages written by fpdf2 (the SAR bundle benchmark's
case-record wording at 11 pt, small print at 8 pt, a contacts table, two columns, italics,
two columns with each term broken over a line's end, white type on a black band, pale grey
type) or a scan (typed at 300 dpi, grainy, blurred and skewed with Pillow, the second page
faded too; "dusty": workers/synth/scans' dense specks). Burned without boxes, the gate must find
every planted term on every page; burned with them, none.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from workers.synth.scans import Scan as _Scan
from workers.synth.scans import font, low_contrast, noisy, skewed
from workers.synth.text import NEUTRAL, STAFF

NAMES = (
    "Peter Walsh", "Kerry Ainsworth", "Dariusz Nowak", "Bernadette Quigley",
    "Tariq Mahmood", "Leanne Fairclough", "Connor McAllister", "Grace Oyelaran",
)  # fmt: skip
POSTCODES = ("LS6 2QT", "M14 5RB", "BD7 1DP", "WF10 4HN", "S11 8YA", "HX1 2EJ")
PHONES = ("0113 496 0721", "07700 900183", "0161 496 0555", "01924 496317", "07700 900642")
KINDS = (
    "case", "small", "table", "two_column", "wrapped", "italic", "inverse", "faint", "scan",
    "dusty",
)  # fmt: skip

Planted = tuple[str, str, str, str, str, str]  # two names, two postcodes, two phones


@dataclass(frozen=True)
class PlantedDocument:
    """A source PDF of one kind and the terms planted on each of its pages."""

    kind: str
    path: Path
    planted: tuple[Planted, ...]


def planted_documents(
    root: Path,
    *,
    kinds: tuple[str, ...] = KINDS,
    pages: int = 2,
    case_pages: int = 6,
    seed: int = 7,
) -> list[PlantedDocument]:
    """One document a kind under `root` (`case_pages` pages of case record, `pages` of others)."""
    rng = random.Random(seed)
    documents = []
    for kind in kinds:
        count = case_pages if kind == "case" else pages
        planted = tuple(_pick(rng) for _ in range(count))
        path = root / f"planted-{kind}.pdf"
        _WRITERS[kind](path, planted, rng)
        documents.append(PlantedDocument(kind, path, planted))
    return documents


def _pick(rng: random.Random) -> Planted:
    n1, n2 = rng.sample(NAMES, 2)
    p1, p2 = rng.sample(POSTCODES, 2)
    t1, t2 = rng.sample(PHONES, 2)
    return (n1, n2, p1, p2, t1, t2)


def _sentences(planted: Planted) -> tuple[str, str]:
    n1, n2, p1, p2, t1, t2 = planted
    return (
        f"The neighbour, {n1}, rang the duty team again from {p1} on {t1}.",
        f"{n2} of 4 Mill Lane, {p2}, can be reached on {t2} most evenings.",
    )


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    return [
        rng.choice(NEUTRAL).format(
            first="Jane", name="Jane Smith", worker=rng.choice(STAFF), date="01/02/2024"
        )
        for _ in range(count)
    ]


def _body(rng: random.Random, planted: Planted, count: int) -> str:
    paragraphs = _paragraphs(rng, count)
    first, second = _sentences(planted)
    paragraphs.insert(1, first)
    paragraphs.insert(len(paragraphs) - 1, second)
    return "\n\n".join(paragraphs)


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15)
    return pdf


def _flowing(family: str, style: str, size: float, grey: int = 0) -> _Writer:
    def write(path: Path, planted: tuple[Planted, ...], rng: random.Random) -> None:
        pdf = _pdf()
        for page in planted:
            pdf.add_page()
            pdf.set_font(family, style, size)
            pdf.set_text_color(grey)
            pdf.multi_cell(0, size * 0.5, _body(rng, page, 12 if size < 10 else 6))
        pdf.output(str(path))

    return write


def _table(path: Path, planted: tuple[Planted, ...], rng: random.Random) -> None:
    pdf = _pdf()
    for page in planted:
        n1, n2, p1, p2, t1, t2 = page
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, "Contacts and relationships", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        rows = [(s, "social worker", "Civic Centre", "EF1 1AA", f"01632 96{i:04d}")
                for i, s in enumerate(rng.sample(STAFF, 5))]  # fmt: skip
        rows.insert(1, (n1, "neighbour", "12 Ash Grove", p1, t1))
        rows.insert(4, (n2, "family friend", "4 Mill Lane", p2, t2))
        with pdf.table(col_widths=(40, 30, 35, 25, 35)) as table:
            for row in [("Name", "Relationship", "Address", "Postcode", "Telephone"), *rows]:
                cells = table.row()
                for value in row:
                    cells.cell(value)
        pdf.ln(6)
        pdf.multi_cell(0, 5.5, "\n\n".join(_paragraphs(rng, 3)))
    pdf.output(str(path))


def _two_column(path: Path, planted: tuple[Planted, ...], rng: random.Random) -> None:
    pdf = _pdf()
    for page in planted:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        first, second = _sentences(page)
        for x, sentence in ((15, first), (110, second)):
            paragraphs = _paragraphs(rng, 4)
            paragraphs.insert(2, sentence)
            pdf.set_xy(x, 15)
            pdf.multi_cell(85, 5, "\n\n".join(paragraphs))
    pdf.output(str(path))


def _wrapped(path: Path, planted: tuple[Planted, ...], rng: random.Random) -> None:
    """Two columns with every planted term broken over a line's end inside its column, where
    a reading that runs across the columns puts the other column's words inside the term."""
    pdf = _pdf()
    for page in planted:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        n1, n2, p1, p2, t1, t2 = (_broken(term) for term in page)
        sentences = (
            f"The neighbour who rang the duty team again was {n1} from {p1} on {t1} today.",
            f"The family friend at 4 Mill Lane is {n2} at {p2} and on {t2} most evenings.",
        )
        for x, sentence in zip((15, 110), sentences, strict=True):
            paragraphs = _paragraphs(rng, 4)
            paragraphs.insert(2, sentence)
            pdf.set_xy(x, 15)
            pdf.multi_cell(85, 5, "\n\n".join(paragraphs))
    pdf.output(str(path))


def _broken(term: str) -> str:
    """The term with its last space (or its middle) made a line break."""
    cut = term.rfind(" ")
    return f"{term[:cut]}\n{term[cut + 1 :]}" if cut > 0 else f"{term[:3]}-\n{term[3:]}"


def _inverse(path: Path, planted: tuple[Planted, ...], rng: random.Random) -> None:
    """A form's header band: white type on black, as letterheads and referral forms print it."""
    pdf = _pdf()
    for page in planted:
        n1, _n2, p1, _p2, t1, _t2 = page
        pdf.add_page()
        pdf.set_fill_color(0)
        pdf.set_text_color(255)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 10, f"Referrer: {n1}   Tel: {t1}", fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(60)
        pdf.cell(0, 8, f"Referrer's postcode: {p1}", fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_text_color(0)
        pdf.set_font("Helvetica", size=11)
        paragraphs = _paragraphs(rng, 5)
        paragraphs.insert(3, _sentences(page)[1])
        pdf.multi_cell(0, 5.5, "\n\n".join(paragraphs))
    pdf.output(str(path))


def _scan(
    path: Path, planted: tuple[Planted, ...], rng: random.Random, dusty: bool = False
) -> None:
    pdf = _pdf()
    for number, page in enumerate(planted):
        typed = _Scan("clean", _typed_page(_body(rng, page, 5)), "")
        scan = skewed(noisy(typed, rng) if dusty else _Scan("", _grainy(typed.image), ""), 1.2)
        if number % 2 and not dusty:
            scan = low_contrast(scan)
        out = io.BytesIO()
        scan.image.resize((2480, 3508)).save(out, format="JPEG", quality=70, dpi=(300, 300))
        pdf.add_page()
        pdf.image(out, x=0, y=0, w=210, h=297)
    pdf.output(str(path))


def _grainy(image: Image.Image) -> Image.Image:
    """A photocopy's grain, a little blur and a few dust specks. (workers/synth/scans' noisy(),
    dense specks of 3 px, leaves a page that Tesseract's default layout analysis reads nothing
    of at the burn's 200 dpi, before decision 0047 and after: see its note.)"""
    grain = Image.effect_noise(image.size, 24)
    image = ImageChops.add(image, grain, scale=1.0, offset=-128)
    specks = Image.effect_noise(image.size, 40).point(lambda v: 0 if v > 250 else 255)
    return ImageChops.darker(image.filter(ImageFilter.GaussianBlur(0.8)), specks)


def _typed_page(text: str) -> Image.Image:
    """Typed at 300 dpi in DejaVu Serif 11 pt, as a letter from a typewriter or word processor."""
    face, step, margin = font(11), 69, 180
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        for word in paragraph.split():
            if lines and lines[-1] and face.getlength(f"{lines[-1]} {word}") <= 2480 - 2 * margin:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
        lines.append("")
    for number, line in enumerate(lines):
        draw.text((margin, margin + number * step), line, font=face, fill=0)
    return image


_Writer = Callable[[Path, tuple[Planted, ...], random.Random], None]
_WRITERS: dict[str, _Writer] = {
    "case": _flowing("Helvetica", "", 11),
    "small": _flowing("Helvetica", "", 8),
    "table": _table,
    "two_column": _two_column,
    "wrapped": _wrapped,
    "italic": _flowing("Times", "I", 11),
    "inverse": _inverse,
    "faint": _flowing("Helvetica", "", 10, grey=150),
    "scan": _scan,
    "dusty": lambda path, planted, rng: _scan(path, planted, rng, dusty=True),
}
