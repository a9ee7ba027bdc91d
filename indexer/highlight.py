"""Highlighted snippets: HTML-escaped windows of text with matched words in <mark> tags.

A word is marked where the index's own analyzer turns it into a term the query asked for, so
"visiting" is marked for a search on "visits" exactly as the index matched it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import tantivy

SNIPPETS = 3
CONTEXT = 80
# Analyzing a multi-megabyte document for every hit on a page would dominate search time;
# a match this far in still counts for ranking, it just is not shown.
MAX_CHARS = 200_000

Span = tuple[int, int]
# tantivy's simple tokenizer keeps runs of alphanumeric characters; remove_long(40) then drops
# tokens of 40 bytes or more. These two lines mirror that.
_WORD = re.compile(r"[^\W_]+")
_LONG_BYTES = 40


class Highlighter:
    """Marks the words of a text whose analyzed term the query searched for."""

    def __init__(self, analyzer: tantivy.TextAnalyzer, terms: frozenset[str]) -> None:
        self._analyzer = analyzer
        self._terms = terms

    def __call__(self, text: str, title: str) -> tuple[str, ...]:
        """Up to SNIPPETS snippets from the text, or the title marked where only it matched."""
        body = text[:MAX_CHARS]
        found = snippets(body, self.spans(body))
        return found or snippets(title, self.spans(title), context=len(title))

    def spans(self, text: str) -> list[Span]:
        """Character spans of the matching words in `text`."""
        if not text:
            return []
        # Fast path: the analyzer's plain term list lines up one-to-one with our own word
        # split, which avoids building a Python object per token (several times slower).
        words = [m for m in _WORD.finditer(text) if len(m.group().encode()) < _LONG_BYTES]
        terms = self._analyzer.analyze(text)
        if len(terms) == len(words):
            return [m.span() for m, term in zip(words, terms, strict=True) if term in self._terms]
        tokens = self._analyzer.pre_tokenize(text).tokens
        return [(t.char_offset_from, t.char_offset_to) for t in tokens if t.text in self._terms]


def snippets(
    text: str, spans: Sequence[Span], limit: int = SNIPPETS, context: int = CONTEXT
) -> tuple[str, ...]:
    """Up to `limit` windows of about `context` characters either side of a match."""
    out: list[str] = []
    covered = 0
    for span_start, span_end in spans:
        if span_start < covered:
            continue  # already shown inside the previous window
        start = max(covered, _word_start(text, span_start - context, span_start))
        end = max(span_end, _word_end(text, span_end + context))
        # Never cut a match in two: stretch the window over any match it begins.
        for s, e in spans:
            if s < end < e:
                end = e
        out.append(_render(text, start, end, [(s, e) for s, e in spans if start <= s < end]))
        covered = end
        if len(out) == limit:
            break
    return tuple(out)


def _word_start(text: str, start: int, limit: int) -> int:
    # Begin at a word boundary rather than mid-word, where one is near.
    if start <= 0:
        return 0
    space = text.find(" ", start, limit)
    return space + 1 if space != -1 else start


def _word_end(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", end - CONTEXT // 4, end)
    return space if space != -1 else end


def _render(text: str, start: int, end: int, spans: list[Span]) -> str:
    pieces = ["…" if start > 0 else ""]
    at = start
    for s, e in spans:
        pieces.append(html.escape(text[at:s], quote=False))
        pieces.append("<mark>" + html.escape(text[s:e], quote=False) + "</mark>")
        at = e
    pieces.append(html.escape(text[at:end], quote=False))
    pieces.append("…" if end < len(text) else "")
    # Line breaks inside a snippet read as noise in a result list.
    return " ".join("".join(pieces).split())
