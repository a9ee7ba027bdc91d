"""Finding a redacted term in text, one definition for everyone who looks: the burn-in that draws
boxes over it, the release gate that refuses a file still holding it, and the reviewer's
"redact every occurrence" count (docs/decisions/0034).

Text taken out of a PDF is not the text a person typed. A name can be split across text runs
("Ja" "ne"), across lines ("Jane\\r\\nSmith"), hyphenated at a line's end ("Smi-\\nth"),
letter-spaced by the layout ("J a n e"), accented or not ("Zoë", "Zoe"), in any case. So both
sides are folded to their letters and digits alone (accents and case off), and a hit counts
only where it starts and ends at a word's edge in the original, so "Ann" is not found in
"Annual" while "Mar-garet" still is "Margaret". The fold errs towards finding: a false hit
costs a reviewer a look, a missed one is a breach.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# A term needs this many letters or digits: one letter would black out every page.
MIN_TERM_CHARS = 2


@dataclass(frozen=True)
class Folded:
    """A text folded for matching: its letters and digits (lower case, accents off), where
    each came from in the original, and whether a non-alphanumeric came before each."""

    chars: str
    sources: tuple[int, ...]
    gap_before: tuple[bool, ...]


def _fold_char(char: str) -> str:
    """A character's letters and digits, folded ("Ë" -> "e", "ß" -> "ss", "-" -> "")."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = kept.replace("ß", "ss").lower()
    return "".join(c for c in kept if c.isalnum())


def fold(text: str) -> Folded:
    chars: list[str] = []
    sources: list[int] = []
    gaps: list[bool] = []
    gap = True
    for index, char in enumerate(text):
        folded = _fold_char(char)
        if not folded:
            gap = True
            continue
        for part in folded:
            chars.append(part)
            sources.append(index)
            gaps.append(gap)
            gap = False
    return Folded("".join(chars), tuple(sources), tuple(gaps))


def fold_term(term: str) -> str:
    """The term as fold() writes it; raises ValueError for a term too short to redact."""
    folded = fold(term).chars
    if len(folded) < MIN_TERM_CHARS:
        raise ValueError(f"a redacted term needs at least {MIN_TERM_CHARS} letters or digits")
    return folded


@dataclass(frozen=True)
class Hit:
    """One occurrence: the term, and the span [start, end) of the original text it covers."""

    term: str
    start: int
    end: int


def find_terms(text: str | Folded, terms: list[str] | tuple[str, ...]) -> list[Hit]:
    """Every occurrence of every term in the text, in order of position."""
    folded = fold(text) if isinstance(text, str) else text
    haystack, total = folded.chars, len(folded.chars)
    hits: list[Hit] = []
    for term in terms:
        needle = fold(term).chars
        if len(needle) < MIN_TERM_CHARS:
            continue
        position = haystack.find(needle)
        while position >= 0:
            after = position + len(needle)
            starts_word = folded.gap_before[position]
            ends_word = after == total or folded.gap_before[after]
            if starts_word and ends_word:
                first, last = folded.sources[position], folded.sources[after - 1]
                hits.append(Hit(term, first, last + 1))
            position = haystack.find(needle, position + 1)
    hits.sort(key=lambda hit: (hit.start, hit.end))
    return hits


def contains_any(text: str, terms: list[str] | tuple[str, ...]) -> list[str]:
    """The terms found in the text (each once), for the release gate."""
    found: list[str] = []
    for hit in find_terms(text, terms):
        if hit.term not in found:
            found.append(hit.term)
    return found
