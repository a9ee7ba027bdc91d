"""Highlighted snippets: HTML-escaped windows of text with matched words in <mark> tags.

tantivy's SnippetGenerator finds the matches (in Rust, with the field's own analyzer, so a
search on "visits" marks "visiting" exactly as the index matched it); this module cuts up to
three windows around them and escapes everything but the marks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import tantivy

SNIPPETS = 3
CONTEXT = 80
# The stretch of a long document the generator looks in for matches to show; a match
# further in still counts for ranking, it just is not shown.
MAX_CHARS = 200_000

Span = tuple[int, int]


class Highlighter:
    """Snippets for the hits of one query: the text's matches, else the title's."""

    def __init__(
        self, searcher: tantivy.Searcher, query: tantivy.Query, schema: tantivy.Schema
    ) -> None:
        self._text = tantivy.SnippetGenerator.create(searcher, query, schema, "text")
        self._text.set_max_num_chars(MAX_CHARS)
        self._title = tantivy.SnippetGenerator.create(searcher, query, schema, "title")
        self._title.set_max_num_chars(MAX_CHARS)

    def __call__(self, doc: tantivy.Document) -> tuple[str, ...]:
        """Up to SNIPPETS snippets for one stored document."""
        fragment, spans = _matches(self._text.snippet_from_doc(doc))
        found = snippets(fragment, spans)
        if found:
            return found
        fragment, spans = _matches(self._title.snippet_from_doc(doc))
        return snippets(fragment, spans, context=len(fragment))


def _matches(snippet: tantivy.Snippet) -> tuple[str, list[Span]]:
    """The fragment and its highlighted spans, converted from UTF-8 byte to str offsets."""
    fragment = snippet.fragment()
    ranges = sorted((r.start, r.end) for r in snippet.highlighted())
    if fragment.isascii():
        return fragment, ranges
    raw = fragment.encode("utf-8")
    spans, last_byte, last_char = [], 0, 0
    for start, end in ranges:
        # Walk forward once, decoding only the bytes between offsets: linear in the fragment.
        last_char += len(raw[last_byte:start].decode("utf-8"))
        span_start = last_char
        last_char += len(raw[start:end].decode("utf-8"))
        last_byte = end
        spans.append((span_start, last_char))
    return fragment, spans


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
