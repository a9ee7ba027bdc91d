"""What the document page's viewer needs: which PDF it shows, the search terms that led there,
and the extracted text page by page with those terms marked.

The terms are the search's own: the query is split as the search splits it
(indexer.query.parse_text) and run through the index's analyzer, so "visits" marks "visit",
"visiting" and "Visits" as the index matched them. pdf.js gets the same stems for its text layer
(static/viewer.js), so the page and the text beside it mark the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import tantivy
from markupsafe import Markup, escape

from indexer.query import parse_text, text_analyzer

# A stem shorter than this marks fragments of unrelated words everywhere ("a", "i").
MIN_TERM = 2
# Marking is for a person's eye; a query of more words than this is not one a person typed.
MAX_TERMS = 16
# Pages of extracted text are joined with a form feed by every extractor (workers/extract).
PAGE_BREAK = "\f"


@cache
def _analyzer() -> tantivy.TextAnalyzer:
    return text_analyzer()


def search_terms(query: str) -> tuple[str, ...]:
    """The stems of the words of a search, longest first (so the longer one wins an overlap)."""
    stems: list[str] = []
    for phrase in parse_text(query):
        for stem in _analyzer().analyze(phrase):
            if len(stem) >= MIN_TERM and stem not in stems:
                stems.append(stem)
    return tuple(sorted(stems[:MAX_TERMS], key=len, reverse=True))


def mark(text: str, terms: Sequence[str]) -> Markup:
    """`text` escaped, each word starting with a term wrapped in <mark>."""
    if not terms:
        return escape(text)
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE
    )
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>") + escape(match.group()) + Markup("</mark>"))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def page_texts(text: str, terms: Sequence[str]) -> list[Markup]:
    """The extracted text a page at a time (as the extractors joined it), terms marked; a
    document without page breaks is one block. Trailing empty pages are kept: a blank page
    is still a page, and the count must match the PDF's for the viewer to pair them."""
    if not text.strip():
        return []
    return [mark(part.strip("\n"), terms) for part in text.split(PAGE_BREAK)]


def viewer_source(document_id: int, meta: Mapping[str, Any], *, view_id: int) -> str | None:
    """The PDF the viewer shows: the rendition where it is made; a PDF's own file while its
    rendition waits (it is readable as it is); else nothing, and the page says why. The
    address names the page's audited view, so the fetch is not a second event."""
    rendition = meta.get("rendition") or {}
    if rendition.get("state") == "made":
        return f"/documents/{document_id}/rendition?view={view_id}"
    if meta.get("mime") == "application/pdf":
        return f"/documents/{document_id}/content?view={view_id}"
    return None
