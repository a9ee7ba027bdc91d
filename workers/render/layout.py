"""Text laid out as a PDF (fpdf2, pure Python: no network, no scripts, nothing the file says
is run): an email's or web page's headers, its body, and a list (attachments, a container's
members). Used for the types whose reading is text: email, HTML, plain text, listings."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
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
            for item in items:
                pdf.multi_cell(width, 5.5, f"- {pdf.clean(item)}", new_x="LMARGIN", new_y="NEXT")
        if headers or items:
            pdf.ln(2)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
            pdf.ln(3)
        pdf.set_font(pdf.family, "", _BODY_SIZE)
        if body.strip():
            pdf.multi_cell(width, 5, pdf.clean(body), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out_path))
    return pdf.pages_count
