"""Classify a document into the taxonomy, with a confidence and a reason a person can check.

The keyword rules are found in one pass over the text by an Aho-Corasick automaton of every
phrase of every type (docs/decisions/0021): time linear in the text and independent of the
number of rules. A phrase counts where it stands as whole words, `(?<!\\w)phrase(?!\\w)` in
regex terms, as the one-regex-per-phrase rules it replaced read it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping as AbstractMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

from domain.vocabulary import CONFIDENT as CONFIDENT  # defined in domain (decision 0022)
from workers.sources.mapping import Mapping
from workers.type_model import TypeModel, TypePrediction, readable

# How much of the text the keyword rules read: openings carry the type; the rest is noise.
TEXT_WINDOW = 20_000
EMAIL_MIMES = frozenset({"message/rfc822", "application/vnd.ms-outlook"})

# Phrases found, by document type, each type's in its rule's order.
KeywordHits = dict[str, list[str]]
Keywords = AbstractMapping[str, tuple[str, ...]]
# str.lower() of a text in Latin-1 but not ASCII (a pound sign, an accented name: most letters
# and notes) takes CPython's character-by-character path, ~9x its ASCII speed. Each of
# Latin-1's characters lowers to one character of Latin-1 (else building the table fails), so
# a byte table lowers such a text to the same characters.
_LATIN1_LOWER = bytes(ord(chr(code).lower()) for code in range(256))


@dataclass(frozen=True)
class Classification:
    doc_type: str
    confidence: float
    reason: str
    # By the learned model (workers.type_model): its confidence is a calibrated probability, and
    # below CONFIDENT the document waits for a person (workers.learn_types.record_type).
    learned: bool = False


def _is_word(char: str) -> bool:
    """What the regex `\\w` matches in a str pattern (CPython's sre: alphanumeric or '_')."""
    return char.isalnum() or char == "_"


class KeywordMatcher:
    """Every phrase of every type in one automaton; `hits` scans a text once."""

    def __init__(self, keywords: Keywords) -> None:
        # phrase -> the (type, position in that type's rule) it stands for; a phrase may serve
        # several types.
        rules: dict[str, list[tuple[str, int]]] = {}
        for doc_type, phrases in keywords.items():
            for order, phrase in enumerate(phrases):
                if phrase and (doc_type, order) not in rules.get(phrase, []):
                    rules.setdefault(phrase, []).append((doc_type, order))
        self._automaton: Any = ahocorasick.Automaton()
        for phrase, owners in rules.items():
            self._automaton.add_word(phrase, (phrase, tuple(owners)))
        self._empty = not rules
        if not self._empty:
            self._automaton.make_automaton()

    def phrases_in(self, text: str) -> dict[str, tuple[tuple[str, int], ...]]:
        """The phrases written as whole words in `text`, with the rules they stand for."""
        found: dict[str, tuple[tuple[str, int], ...]] = {}
        if self._empty or not text:
            return found
        last = len(text) - 1
        for end, (phrase, owners) in self._automaton.iter(text):
            if phrase in found:
                continue
            start = end - len(phrase) + 1
            if start and _is_word(text[start - 1]):
                continue
            if end < last and _is_word(text[end + 1]):
                continue
            found[phrase] = owners
        return found

    def hits(self, text: str) -> KeywordHits:
        """Phrases found in `text` (lower-cased by the caller) by type, in each rule's order."""
        ranked: dict[str, list[tuple[int, str]]] = {}
        for phrase, owners in self.phrases_in(text).items():
            for doc_type, order in owners:
                ranked.setdefault(doc_type, []).append((order, phrase))
        return {doc_type: [p for _, p in sorted(pairs)] for doc_type, pairs in ranked.items()}


@lru_cache(maxsize=8)
def _matcher(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> KeywordMatcher:
    return KeywordMatcher(dict(rules))


def rules_key(keywords: Keywords) -> str:
    """Tells one set of keyword rules from another (what a child's scan was made with); the
    same in every process (str hashes are not: each interpreter salts its own)."""
    return _rules_key(tuple(keywords.items()))


@lru_cache(maxsize=8)
def _rules_key(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    return hashlib.blake2b(repr(rules).encode(), digest_size=16).hexdigest()


def matcher_for(keywords: Keywords) -> KeywordMatcher:
    """The automaton of these rules, built once per distinct set of rules."""
    return _matcher(tuple(keywords.items()))


def body_hits(text: str, keywords: Keywords) -> KeywordHits:
    """The keyword rules found in a document's text: what a sandbox child computes beside the
    text, so the loader's main thread does not scan it again."""
    return matcher_for(keywords).hits(lowered(text[:TEXT_WINDOW]))


def lowered(text: str) -> str:
    """text.lower(): by a byte table where the text is in Latin-1 (37 -> 4 us for 8,800
    characters with a pound sign in them)."""
    if text.isascii():
        return text.lower()
    try:
        latin1 = text.encode("latin-1")
    except UnicodeEncodeError:  # beyond Latin-1 (curly quotes, dashes): as str lowers it
        return text.lower()
    return latin1.translate(_LATIN1_LOWER).decode("latin-1")


def classify(
    *,
    legacy_doc_type: str,
    title: str,
    text: str,
    mime: str,
    mapping: Mapping,
    hits: KeywordHits | None = None,
    model: TypeModel | None = None,
) -> Classification:
    """Legacy code first (a reviewed business rule), then the file's nature, then the learned
    model where one is trained and the text has words to read, else the keyword rules.

    hits: body_hits(text, mapping.keywords) when already computed; by default a sandbox child's
    scan of this text (workers.extract.signals), or a scan now. The model's answer, likewise,
    is a child's where it made one with this model."""
    code = legacy_doc_type.strip()
    mapped = mapping.doc_type_for_code(code) if code else None
    if mapped:
        return Classification(mapped, 0.95, f"legacy type code {code!r} maps to {mapped}")
    if mime in EMAIL_MIMES:
        return Classification("email", 0.9, f"the file is an email message ({mime})")
    if model is not None and readable(text):
        found = _primed_prediction(text, model) or model.predict(text)
        return Classification(found.doc_type, found.confidence, model.reason(found), learned=True)
    if hits is None:
        hits = _primed_hits(text, mapping.keywords)
    if hits is None:
        hits = body_hits(text, mapping.keywords)
    return _by_keywords(code, title, hits, mapping)


def _primed_hits(text: str, keywords: Keywords) -> KeywordHits | None:
    # Imported here: the signals module builds on this one.
    from workers.extract.signals import primed

    signals = primed(text)
    if signals is None or signals.rules != rules_key(keywords):
        return None
    return signals.keyword_hits


def _primed_prediction(text: str, model: TypeModel) -> TypePrediction | None:
    from workers.extract.signals import primed

    signals = primed(text)
    found = signals.learned_type if signals is not None else None
    return found if found is not None and found.model == model.digest else None


def _by_keywords(
    legacy_text: str, title: str, body: KeywordHits, mapping: Mapping
) -> Classification:
    heading = matcher_for(mapping.keywords).hits(f"{legacy_text} {title}".lower())
    scored: list[tuple[int, str, list[str], list[str]]] = []
    for doc_type in heading.keys() | body.keys():
        if doc_type not in mapping.keywords:
            continue  # hits computed under other rules than this mapping's
        in_heading, in_body = heading.get(doc_type, []), body.get(doc_type, [])
        # A phrase in the title or legacy type text says more than one in the body.
        score = 3 * len(in_heading) + len(in_body)
        if score:
            scored.append((score, doc_type, in_heading, in_body))
    if not scored:
        return Classification("other", 0.2, "no legacy type code and no keyword rule matched")
    scored.sort(key=lambda item: (-item[0], item[1]))
    best, doc_type, in_heading, in_body = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0
    confidence = round(min(0.9, 0.3 + 0.1 * best) * (1 - runner_up / (best + runner_up + 1)), 2)
    parts = []
    if in_heading:
        parts.append("title/type text mentions " + ", ".join(repr(p) for p in in_heading))
    if in_body:
        parts.append("text mentions " + ", ".join(repr(p) for p in in_body[:5]))
    reason = "; ".join(parts)
    if legacy_text:
        reason = f"legacy type {legacy_text!r} is not a mapped code; " + reason
    return Classification(doc_type, max(confidence, 0.25), reason)
