"""Classify a document into the taxonomy, with a confidence and a reason a person can check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from workers.sources.mapping import Mapping

# How much of the text the keyword rules read: openings carry the type; the rest is noise.
TEXT_WINDOW = 20_000
EMAIL_MIMES = frozenset({"message/rfc822", "application/vnd.ms-outlook"})
# Below this a class guess must be confirmed by a person before retention may act on it.
CONFIDENT = 0.7


@dataclass(frozen=True)
class Classification:
    doc_type: str
    confidence: float
    reason: str


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")


def _matches(phrases: tuple[str, ...], text: str) -> list[str]:
    return [p for p in phrases if _phrase_pattern(p).search(text)]


def classify(
    *, legacy_doc_type: str, title: str, text: str, mime: str, mapping: Mapping
) -> Classification:
    """Legacy code first (a reviewed business rule), then the file's nature, then keywords."""
    code = legacy_doc_type.strip()
    mapped = mapping.doc_type_for_code(code) if code else None
    if mapped:
        return Classification(mapped, 0.95, f"legacy type code {code!r} maps to {mapped}")
    if mime in EMAIL_MIMES:
        return Classification("email", 0.9, f"the file is an email message ({mime})")
    return _by_keywords(code, title, text, mapping)


def _by_keywords(legacy_text: str, title: str, text: str, mapping: Mapping) -> Classification:
    heading = f"{legacy_text} {title}".lower()
    body = text[:TEXT_WINDOW].lower()
    scored: list[tuple[int, str, list[str], list[str]]] = []
    for doc_type, phrases in mapping.keywords.items():
        in_heading = _matches(phrases, heading)
        in_body = _matches(phrases, body)
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
