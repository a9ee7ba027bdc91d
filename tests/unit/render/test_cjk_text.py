"""Chinese and Japanese text gets glyphs in a text rendition (chardet's samples were blank
pages: DejaVu has none), from Droid Sans Fallback (fonts-droid-fallback, scripts/system-deps.sh)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader

from workers.render.layout import write_text_pdf

CHINESE = "午后红茶最近比较忙"
JAPANESE = "インターネットの電子メール"


def test_chinese_and_japanese_are_drawn(tmp_path: Path) -> None:
    out = tmp_path / "note.pdf"
    write_text_pdf(out, title="Note", body=f"Agnes Thornbury {CHINESE}\n{JAPANESE}\n")
    text = PdfReader(out).pages[0].extract_text()
    assert CHINESE in text and JAPANESE in text
    assert "Agnes Thornbury" in text


def test_latin_text_does_not_load_the_fallback_font(tmp_path: Path) -> None:
    """Parsing the CJK font costs over a second: only a text that needs it pays."""
    out = tmp_path / "note.pdf"
    write_text_pdf(out, title="Note", body="Agnes Thornbury, café visit\n")
    resources: Any = PdfReader(out).pages[0]["/Resources"]
    fonts = {str(font.get_object().get("/BaseFont")) for font in resources["/Font"].values()}
    assert fonts and not any("Droid" in name for name in fonts), fonts
