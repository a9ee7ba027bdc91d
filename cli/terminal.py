"""Text for a person at a terminal: counts in words, highlighted snippets without HTML."""

from __future__ import annotations

import html
import os
import re
import sys


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# Snippets come HTML-escaped with the matched words in <mark> (indexer/highlight.py, OpenSearch).
_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
# A document's own control characters (an ESC above all) must not drive the user's terminal.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, sparing line breaks and tabs, for a document's whole text.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BOLD_UNDERLINE, RESET = "\x1b[1;4m", "\x1b[0m"


def terminal_text(text: str) -> str:
    """A document's text or a metadata value, safe to print: its lines, without its controls."""
    return CONTROL_IN_TEXT.sub(" ", text.replace("\r\n", "\n"))


def styled_output() -> bool:
    """Terminal styling only for a terminal, and not where the user asked for none (NO_COLOR)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def terminal_snippet(snippet: str, styled: bool) -> str:
    """A highlighted snippet as a terminal shows it: matched words bold and underlined when
    `styled`, else in [brackets]; the HTML escaping undone, control characters made spaces."""
    before, after = (BOLD_UNDERLINE, RESET) if styled else ("[", "]")
    parts = _MARK.split(snippet)  # odd indexes are the matched words
    plain = [CONTROL.sub(" ", html.unescape(part)) for part in parts]
    return "".join(before + p + after if i % 2 else p for i, p in enumerate(plain))
