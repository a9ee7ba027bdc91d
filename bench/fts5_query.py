"""SearchQuery to SQLite FTS5 MATCH expression, for the bench's FTS5 candidate (fts5_index.py).

User text never reaches FTS5 as syntax: it is split into words and quoted phrases, and every
word is re-quoted, so operators (AND, NEAR, *, parentheses, column filters) are only ever words.
Filters are single encoded tokens in the `filt` column, so a person or type filter is a
posting-list intersection inside FTS5 rather than a scan of matching rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.base import SearchDocument, SearchQuery

# \w matches Unicode letters and digits, close to what the unicode61 tokenizer keeps.
_WORD = re.compile(r"\w+")
# A quoted phrase, or an unterminated one running to the end of the text.
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"?|([^\s"]+)')
# More terms than this is not a search a person typed; it only makes FTS5 slow.
MAX_TERMS = 32

UNLINKED = "n0"  # the token every document on no person carries


def _token(kind: str, value: str) -> str:
    # Hex keeps any value a single unicode61 token; the trailing digit stops the porter
    # stemmer from rewriting it (porter only strips alphabetic suffixes such as "-ed").
    return f"{kind}{value.encode('utf-8').hex()}0"


def person_token(person_id: str) -> str:
    return _token("p", person_id)


def type_token(doc_type: str) -> str:
    return _token("t", doc_type)


def source_token(source_system: str) -> str:
    return _token("s", source_system)


def tag_token(access_tag: str) -> str:
    return _token("a", access_tag)


def filter_tokens(doc: SearchDocument) -> str:
    """The `filt` column for one document: every filterable value as one token."""
    tokens = [person_token(p) for p in doc.person_ids] or [UNLINKED]
    tokens.append(type_token(doc.doc_type))
    tokens.append(source_token(doc.source_system))
    tokens.extend(tag_token(t) for t in doc.access_tags)
    if doc.document_date is not None:
        tokens.append(f"y{doc.document_date.year}")
    return " ".join(tokens)


def parse_text(text: str) -> list[tuple[str, ...]]:
    """Split user text into phrases (tuples of words); a lone word is a phrase of one."""
    phrases: list[tuple[str, ...]] = []
    terms = 0
    for match in _PHRASE_OR_WORD.finditer(text):
        words = tuple(_WORD.findall(match.group(1) or match.group(2) or ""))
        if not words or terms + len(words) > MAX_TERMS:
            continue
        phrases.append(words)
        terms += len(words)
    return phrases


def text_expression(text: str) -> str | None:
    """An FTS5 expression matching every phrase in title or text, or None for no text."""
    phrases = parse_text(text)
    if not phrases:
        return None
    # Words hold only \w characters, so wrapping them in double quotes cannot break out.
    quoted = " AND ".join('"' + " ".join(words) + '"' for words in phrases)
    return "{title text} : (" + quoted + ")"


def _any_of(tokens: Iterable[str]) -> str:
    return "filt : (" + " OR ".join(tokens) + ")"


def match_expression(query: SearchQuery) -> str | None:
    """The whole MATCH expression for a query, or None where no FTS clause is needed.

    The caller must already have answered an `allowed_person_ids` of () with no results.
    """
    clauses: list[str] = []
    text = text_expression(query.text)
    if text is not None:
        clauses.append(text)
    if query.person_ids:
        clauses.append(_any_of(person_token(p) for p in query.person_ids))
    if query.doc_types:
        clauses.append(_any_of(type_token(t) for t in query.doc_types))
    if query.source_systems:
        clauses.append(_any_of(source_token(s) for s in query.source_systems))
    if query.allowed_person_ids is not None:
        allowed = [person_token(p) for p in query.allowed_person_ids]
        if query.include_unlinked:
            allowed.append(UNLINKED)
        clauses.append(_any_of(allowed))
    return " AND ".join(f"({c})" for c in clauses) if clauses else None
