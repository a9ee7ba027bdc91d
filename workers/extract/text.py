"""Plain text (with its encoding guessed) and HTML (parsed offline, entities never fetched)."""

from __future__ import annotations

import re
from pathlib import Path

import charset_normalizer
import lxml.html

from workers.extract.base import ExtractionResult, Limits
from workers.filetype import wide_text_encoding

# Elements whose content is never shown to a reader.
_HIDDEN = ("script", "style", "noscript", "template", "head")
# Elements that end a line when shown, though nothing in the markup says so.
_BLOCKS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "address",
    "dt",
    "dd",
    "hr",
)
# Bytes read from a text file at most: enough for max_text_chars in any encoding.
_BYTES_PER_CHAR = 4
# The XML declaration (lxml refuses one in a str) and the DOCTYPE are cut before parsing:
# libxml2's HTML parser never expands a DOCTYPE's internal subset but would show "]>" as text.
_PROLOGUE = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)?", re.IGNORECASE | re.DOTALL
)


def extract_text(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """A text file decoded with the encoding charset-normalizer finds most likely."""
    data = _read_capped(path, limits)
    return ExtractionResult(ok=True, text=decode_guessing(data), pages=1, engine="text")


_UK_LEGACY = "cp1252"
# How close (in charset-normalizer's own measures) another coding's reading must come for
# Windows-1252's to count as a tie.
_TIE_CHAOS = 0.01
_TIE_COHERENCE = 0.05


def decode_guessing(data: bytes) -> str:
    """`data` as text: UTF-8 when it is valid (the common, cheap case), else the best guess."""
    # First: ASCII in UTF-16 or UTF-32 is valid UTF-8 (with a zero byte between letters), and
    # charset-normalizer misreads it without a byte-order mark.
    wide = wide_text_encoding(data)
    if wide is not None:
        return data.decode(wide, errors="replace").removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        # Legacy UK exports are mostly Windows-1252; it also decodes any byte: nothing is lost.
        return data.decode(_UK_LEGACY, errors="replace")
    # A short English letter with one "£" in it fits many single-byte codings equally well,
    # and the detector's first pick among equals was Windows-1250 ("Ł") or even Japanese
    # cp932. Windows-1252 wins a tie: Polish or Russian text still goes to its own coding,
    # where Windows-1252 reads worse or not at all.
    uk = next((match for match in matches if match.encoding == _UK_LEGACY), None)
    if (
        uk is not None
        and uk.chaos <= best.chaos + _TIE_CHAOS
        and uk.coherence >= best.coherence - _TIE_COHERENCE
    ):
        return str(uk)
    return str(best)


def extract_html(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    return ExtractionResult(
        ok=True, text=html_to_text(_read_capped(path, limits)), pages=1, engine="html"
    )


def html_to_text(data: bytes | str) -> str:
    """The visible text of an HTML document. No network, no DTD, no external entities."""
    # Decoded here rather than by libxml2, which takes undeclared bytes for Latin-1.
    text = _PROLOGUE.sub("", data if isinstance(data, str) else decode_guessing(data), count=1)
    if not text.strip():
        return ""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    root = lxml.html.document_fromstring(text, parser=parser)
    for element in list(root.iter(*_HIDDEN)):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter("td", "th"):
        element.tail = "\t" + (element.tail or "")
    lines = (line.strip() for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _read_capped(path: Path, limits: Limits) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limits.max_text_chars * _BYTES_PER_CHAR)
