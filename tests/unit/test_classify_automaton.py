"""The one-pass keyword automaton classifies exactly as the one-regex-per-phrase rules did.

`_reference` is the rule set as it stood before docs/decisions/0021 (each phrase its own
`(?<!\\w)phrase(?!\\w)` regex over the lower-cased title and the text's first 20,000
characters): the oracle every case below is checked against.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import replace
from pathlib import Path

import pypdfium2
import pytest

from workers.classify import TEXT_WINDOW, Classification, body_hits, classify
from workers.sources.mapping import Mapping, load_mapping
from workers.synth.archive import make_archive
from workers.synth.text import NEUTRAL, TYPES, compose

MAPPING = load_mapping()


def _reference(legacy_text: str, title: str, text: str, mapping: Mapping) -> Classification:
    def matches(phrases: tuple[str, ...], text: str) -> list[str]:
        return [p for p in phrases if re.search(r"(?<!\w)" + re.escape(p) + r"(?!\w)", text)]

    heading = f"{legacy_text} {title}".lower()
    body = text[:TEXT_WINDOW].lower()
    scored = []
    for doc_type, phrases in mapping.keywords.items():
        in_heading, in_body = matches(phrases, heading), matches(phrases, body)
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


def _same(title: str, text: str, mapping: Mapping = MAPPING, legacy: str = "") -> None:
    if mapping.doc_type_for_code(legacy.strip()):
        legacy = ""  # a mapped legacy code decides before any keyword rule is read
    expected = _reference(legacy.strip(), title, text, mapping)
    found = classify(legacy_doc_type=legacy, title=title, text=text, mime="", mapping=mapping)
    assert found == expected, (title, text[:200])
    # What a sandbox child hands over gives the same answer without the text.
    hits = body_hits(text, mapping.keywords)
    precomputed = classify(
        legacy_doc_type=legacy, title=title, text="", mime="", mapping=mapping, hits=hits
    )
    assert precomputed == expected


def _pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_same_as_the_regex_rules_on_the_realistic_synthetic_archive(tmp_path: Path) -> None:
    archive = make_archive(tmp_path, seed=11, people=20, docs=60, profile="realistic")
    with archive.manifest_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 60
    for row in rows:
        text = _pdf_text(archive.root / row["file_path"])
        _same(row["title"], text, legacy=row["legacy_doc_type"])
        _same("", text)  # no heading: the body alone decides


def test_same_as_the_regex_rules_on_every_types_wording() -> None:
    import random

    rng = random.Random(3)
    fields = {"first": "Ava", "name": "Ava Hall", "worker": "Sam Okoro", "date": "03/04/2019"}
    for doc_type, spec in TYPES.items():
        for long in (False, True):
            text = "\n".join(compose(doc_type, fields, "Brandermos", rng, long=long))
            _same(spec.title, text)
            _same(spec.label, text, legacy=spec.label)
    _same("", " ".join(NEUTRAL))


@pytest.mark.parametrize(
    "text",
    [
        "assessments and reassessment only",  # longer words hold no phrase
        "The GP's letter; the gp_ref field; gp1",  # apostrophe ends a word, _ and digits do not
        "éassessment and assessmenté",  # accented letters are word characters
        "a care and support plan",  # overlapping: "support plan" inside the longer phrase
        "single assessment, care act assessment, carer's assessment",  # phrases inside phrases
        "assessment",  # the whole text
        "s47 enquiry, s470 enquiry, section 47",
        "E-MAIL and e-mails and email",
        "Dear Sir, Yours sincerely",  # case
        "court court court courtyard",  # repeats count once
        "İnvoice INVOICE",  # lower() that changes the length
        "",
    ],
)
def test_same_as_the_regex_rules_at_the_edges(text: str) -> None:
    _same("", text)
    _same(text, "")
    _same(text, text, legacy=text[:10])


def test_the_window_cuts_where_it_did() -> None:
    pad = "x " * ((TEXT_WINDOW - 6) // 2)
    for tail in ("court", "invoice", " court", "  court"):
        text = pad + tail + " more"
        assert len(pad) < TEXT_WINDOW < len(text)
        _same("", text)


def test_same_with_rules_that_overlap_and_repeat() -> None:
    keywords = {
        "referral": ("plan", "care plan", "care", "plan"),  # a phrase twice in one rule
        "care_plan": ("care plan", "support plan", "care and support plan"),  # shared phrase
        "assessment": ("he", "she", "hers", "his"),  # the automaton's textbook case
        "complaint": ("(s47)", "a.b"),  # phrases starting and ending with non-word characters
    }
    mapping = replace(MAPPING, keywords=keywords)
    for text in (
        "a care and support plan for hers",
        "ushers his (s47) x(s47)y a.b a.bc",
        "plan plan care plan",
        "shehe he she",
    ):
        _same("", text, mapping)
        _same(text, text, mapping)


def test_time_does_not_grow_with_the_number_of_rules() -> None:
    """Ten times the rules, about the same time a document (a regex a phrase took ~10x)."""
    text = _pdf_text_of_words(12_000)
    many = dict(MAPPING.keywords) | {
        f"{doc_type}_{n}": tuple(f"{p} x{n}" for p in phrases)
        for n in range(1, 10)
        for doc_type, phrases in MAPPING.keywords.items()
    }
    assert sum(map(len, many.values())) == 10 * sum(map(len, MAPPING.keywords.values()))
    few_s = _timed(lambda: body_hits(text, MAPPING.keywords))
    many_s = _timed(lambda: body_hits(text, many))
    assert many_s < 3 * few_s, (few_s, many_s)


def _pdf_text_of_words(chars: int) -> str:
    words = " ".join(NEUTRAL).replace("{first}", "Ava").replace("{worker}", "Sam")
    return (words + " court assessment ") * (chars // len(words) + 1)


def _timed(run: object) -> float:
    assert callable(run)
    run()  # builds the automaton
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20):
            run()
        best = min(best, (time.perf_counter() - started) / 20)
    return best
