"""A text rendition's lines: every character of the text kept, in order, and no line wider
than the page (workers.render.layout.write_lines, which replaced fpdf2's multi_cell)."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from workers.render.layout import _fitted, write_text_pdf


def _by_length(piece: str) -> float:
    return float(len(piece))


def test_words_are_kept_whole_and_lines_fit() -> None:
    lines = list(_fitted("the child was seen at home on Tuesday", 12, _by_length))
    assert lines == ["the child", "was seen at", "home on", "Tuesday"]
    assert all(len(line) <= 12 for line in lines)


def test_a_run_without_spaces_is_broken_between_characters() -> None:
    url = "https://example.org/" + "a" * 50
    lines = list(_fitted(f"see {url} today", 16, _by_length))
    assert all(len(line) <= 16 for line in lines), lines
    assert "".join(lines).replace(" ", "") == f"see{url}today"


def test_spaces_inside_a_line_and_empty_paragraphs_are_kept() -> None:
    assert list(_fitted("Name:   Jane", 40, _by_length)) == ["Name:   Jane"]
    assert list(_fitted("", 40, _by_length)) == [""]


def test_a_long_letter_keeps_every_word_in_order(tmp_path: Path) -> None:
    words = [f"word{n}" for n in range(3000)]
    body = " ".join(words[:1500]) + "\n\n" + " ".join(words[1500:]) + "\n" + "x" * 400
    out = tmp_path / "letter.pdf"
    pages = write_text_pdf(out, title="Letter", body=body)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    found = re.findall(r"word\d+", text)
    assert found == words
    assert re.sub(r"\s", "", text).count("x" * 400) == 1
    assert pages == len(PdfReader(out).pages) > 1


def test_a_long_run_first_fills_what_is_left_of_the_line() -> None:
    lines = list(_fitted("- " + "a" * 30, 12, _by_length))
    assert lines == ["- " + "a" * 10, "a" * 12, "a" * 8]
