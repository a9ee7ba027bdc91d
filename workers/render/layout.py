"""Text laid out as a PDF (fpdf2, pure Python: no network, no scripts, nothing the file says
is run): an email's or web page's headers, its body, and a list (attachments, a container's
members). Used for the types whose reading is text: email, HTML, plain text, listings."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path

from fpdf import FPDF

# DejaVu covers Latin, Greek and Cyrillic (Debian's fonts-dejavu-core); without it the PDF
# core font is used and characters outside Latin-1 become '?'.
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_BODY_SIZE = 10
_MARGIN_MM = 18


# Chinese and Japanese, which DejaVu lacks: Droid Sans Fallback (Debian's fonts-droid-fallback),
# used for the characters the body font has no glyph for. Without it chardet's CJK samples were
# rendered as blank pages. Parsing it costs fpdf2 over a second (DejaVu: 0.1 s), so it is
# loaded only for a text with characters of those scripts.
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
_FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"),
)


@cache
def _fallback_font() -> Path | None:
    return next((path for path in _FALLBACK_FONTS if path.is_file()), None)


@cache
def _font_files() -> tuple[Path, Path] | None:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Document(FPDF):
    def __init__(self, cjk: bool = False) -> None:
        super().__init__(format="A4")
        self.set_margins(_MARGIN_MM, _MARGIN_MM)
        self.set_auto_page_break(True, _MARGIN_MM)
        fonts = _font_files()
        if fonts is not None:
            self.add_font("body", "", str(fonts[0]))
            self.add_font("body", "B", str(fonts[1]))
            self.family, self.unicode = "body", True
            fallback = _fallback_font() if cjk else None
            if fallback is not None:
                self.add_font("fallback", "", str(fallback))
                self.set_fallback_fonts(["fallback"], exact_match=False)
        else:
            self.family, self.unicode = "helvetica", False

    def clean(self, text: str) -> str:
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
        text = text.replace("\t", "    ")
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, f"{self.page_no()}", align="C")


def write_text_pdf(
    out_path: Path,
    *,
    title: str,
    headers: Sequence[tuple[str, str]] = (),
    body: str = "",
    list_title: str = "",
    items: Sequence[str] = (),
) -> int:
    """Write the PDF; returns its page count."""
    texts = (title, body, *items, *(value for _, value in headers))
    pdf = _Document(cjk=any(_CJK.search(text) for text in texts))
    pdf.set_title(pdf.clean(title)[:200])
    pdf.set_creator("escr")
    pdf.add_page()
    width = pdf.epw
    with warnings.catch_warnings():
        # A glyph missing from the font is drawn as a blank box: not a failure of the file.
        warnings.simplefilter("ignore")
        if title:
            pdf.set_font(pdf.family, "B", 13)
            pdf.multi_cell(width, 7, pdf.clean(title), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        for name, value in headers:
            pdf.set_font(pdf.family, "B", _BODY_SIZE)
            pdf.cell(22, 5.5, f"{name}:")
            pdf.set_font(pdf.family, "", _BODY_SIZE)
            pdf.multi_cell(width - 22, 5.5, pdf.clean(value) or "-", new_x="LMARGIN", new_y="NEXT")
        if items:
            pdf.ln(2)
            pdf.set_font(pdf.family, "B", _BODY_SIZE)
            pdf.cell(0, 5.5, list_title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(pdf.family, "", _BODY_SIZE)
            write_lines(pdf, "\n".join(f"- {pdf.clean(item)}" for item in items), width, 5.5)
        if headers or items:
            pdf.ln(2)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
            pdf.ln(3)
        pdf.set_font(pdf.family, "", _BODY_SIZE)
        if body.strip():
            write_lines(pdf, pdf.clean(body), width, 5)
    pdf.output(str(out_path))
    return pdf.pages_count


def write_lines(pdf: FPDF, text: str, width: float, height: float) -> None:
    """The text in the current font as lines that fit `width`, one cell a line, a line of its
    own for each line of the text. fpdf2's multi_cell measures the line so far again for every
    character it adds: 6.5 ms a KB of text, 0.26 s to lay out a 40 KB report. Here each word
    is measured once (widths add up: fpdf2 draws without kerning), and a word wider than a line
    (a URL, a paragraph of Chinese) is broken between characters, so no text is lost."""
    room = width - 2 * pdf.c_margin  # a cell pads its text on both sides
    widths: dict[str, float] = {}

    def measure(piece: str) -> float:
        found = widths.get(piece)
        if found is None:
            found = widths[piece] = pdf.get_string_width(piece)
        return found

    for paragraph in text.split("\n"):
        for line in _fitted(paragraph, room, measure):
            pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")


def _fitted(paragraph: str, room: float, measure: Callable[[str], float]) -> Iterator[str]:
    """The paragraph's lines: words kept whole where they fit, the spaces between them kept
    (a space where a line breaks is dropped); an empty paragraph is one empty line."""
    space = measure(" ")
    line: list[str] = []
    used = 0.0
    for word in paragraph.split(" "):  # "" for each space beyond the first: kept
        size = measure(word)
        if size > room:
            # A run with no space to break at: it fills what is left of the line, then as many
            # characters a line as fit.
            left = room - used - space if line else room
            first, *rest = _by_characters(word, left, room, measure)
            if first or not line:
                used += (space if line else 0.0) + measure(first)
                line.append(first)
            for piece in rest:
                yield " ".join(line)
                line, used = [piece], measure(piece)
            continue
        if line and used + space + size > room:
            yield " ".join(line)
            line, used = [], 0.0
        used += (space if line else 0.0) + size
        line.append(word)
    yield " ".join(line)


def _by_characters(
    word: str, first: float, room: float, measure: Callable[[str], float]
) -> Iterator[str]:
    """The word in pieces: the first fits `first` (empty if not one character does), the
    others `room` (at least one character each, however wide)."""
    start, used, limit = 0, 0.0, first
    for index, char in enumerate(word):
        size = measure(char)
        if used + size > limit and (index > start or limit < room):
            yield word[start:index]
            start, used, limit = index, 0.0, room
        used += size
    yield word[start:]
