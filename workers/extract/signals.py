"""What a document's text says that the pipeline acts on, found where the text was read.

A sandbox child that reads a text also scans it once for the keyword rules, the NHS numbers,
the first date and its subject's details (text_signals), and the parent keeps the answer
(prime) for the loader's main thread, which would otherwise scan every text again
(docs/decisions/0021). It is a cache of a pure function of the text: `primed` answers only
for a text equal to the one scanned (its length, hash and ends), and a text it has not seen
is scanned where it is used, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from workers.classify import KeywordHits, Keywords, body_hits, rules_key
from workers.subject import SubjectFields, subject_fields
from workers.type_model import TypePrediction

# Texts whose signals the parent keeps: those between extraction and classification (a few
# batches of the loader's); the rest are scanned again if asked. A few hundred bytes each.
PRIMED_MAX = 8_192
_ENDS = 32


@dataclass(frozen=True)
class TextSignals:
    """One text's scan. first_date: workers.dates.first_date_in_text(text), before the linked
    people's dates of birth are known (the caller skips those)."""

    rules: str  # rules_key of the keyword rules keyword_hits was found with
    keyword_hits: KeywordHits
    nhs_numbers: tuple[str, ...]
    first_date: date | None
    # What the text's head says about its subject (workers/subject.py), for the matcher.
    subject: SubjectFields = field(default_factory=SubjectFields)
    # The learned type model's answer (workers.type_model), where the child had a model.
    learned_type: TypePrediction | None = None


def text_signals(text: str, keywords: Keywords) -> TextSignals:
    from domain.nhs import nhs_numbers_in_text
    from workers.dates import first_date_in_text

    return TextSignals(
        rules=rules_key(keywords),
        keyword_hits=body_hits(text, keywords),
        nhs_numbers=tuple(nhs_numbers_in_text(text)),
        first_date=first_date_in_text(text),
        subject=subject_signals(text),
    )


def subject_signals(text: str) -> SubjectFields:
    """The subject's fields from the text's head: bounded cost, whatever the text's length."""
    return subject_fields(text)


def with_learned_type(signals: TextSignals, text: str, model_path: str | None) -> TextSignals:
    """The scan with the learned type model's answer for `text`, when there is a usable
    model at `model_path` and the text has words to classify by (decision 0032)."""
    from workers.type_model import readable, usable_model

    model = usable_model(Path(model_path)) if model_path else None
    if model is None or not readable(text):
        return signals
    return replace(signals, learned_type=model.predict(text))


_Key = tuple[int, int, str, str]
_primed: OrderedDict[_Key, TextSignals] = OrderedDict()
_lock = threading.Lock()  # the sandbox's threads prime, the loader's main thread reads


def _key(text: str) -> _Key:
    return len(text), hash(text), text[:_ENDS], text[-_ENDS:]


def prime(text: str, signals: TextSignals) -> None:
    """Keep a child's scan of `text` for the stages that read the text next."""
    key = _key(text)
    with _lock:
        _primed[key] = signals
        _primed.move_to_end(key)
        while len(_primed) > PRIMED_MAX:
            _primed.popitem(last=False)


def primed(text: str) -> TextSignals | None:
    """The scan of a text equal to `text`, if a child made one."""
    if not _primed:  # as in a child, which primes nothing: no need to hash the text
        return None
    with _lock:
        return _primed.get(_key(text))


def forget_all() -> None:
    with _lock:
        _primed.clear()
