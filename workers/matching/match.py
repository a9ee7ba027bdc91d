"""Deciding a batch of documents the crosswalk could not link: link, queue or leave.

Above AUTO_PROBABILITY, and only with two identifying fields agreeing, none disagreeing and
no close second (twins share surname, date of birth and address, and differ in given name and
NHS number), a document is linked automatically (method `probable`) with its evidence in the
reason. Candidates above REVIEW_PROBABILITY are queued, ranked, with their evidence; below it
the document stays unlinked. Precision before recall: a wrong link is a data breach.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.documents import get_text
from catalog.models import Person
from catalog.models_matching import MatchEvidence, MatchTrainingPair
from workers.matching.records import (
    DISAGREE,
    Record,
    document_of,
    person_postcode,
    record,
    subject_records,
)
from workers.subject import subject_fields

if TYPE_CHECKING:  # Splink and DuckDB are imported when a batch first needs them (0.4 s)
    from workers.matching.model import Matcher, Scored

AUTO_PROBABILITY = 0.999
REVIEW_PROBABILITY = 0.01
# The best candidate must beat the second by this many bits (2^8 = 256 times as likely).
MARGIN_BITS = 8.0
MAX_CANDIDATES = 5
# Pairs below REVIEW_PROBABILITY can be dropped before decide() (Matcher.score's threshold,
# applied in DuckDB) without changing a decision: they are never shown, and a runner-up only
# stops an automatic link when within MARGIN_BITS of a top at AUTO_PROBABILITY or more, i.e.
# at log2-odds >= log2(0.999/0.001) - 8 = 2.0, far above log2(0.01/0.99) = -6.6.
SCORE_FLOOR = REVIEW_PROBABILITY
TRAINING_SAMPLE = 20_000

_NAME_AGREES = ("exact", "nickname or other spelling", "similar spelling")
_FAMILY_AGREES = ("exact", "one letter different", "sounds the same")
_DOB_AGREES = ("exact", "day and month swapped")


@dataclass(frozen=True)
class Candidate:
    person_id: str
    match_weight: float
    match_probability: float
    evidence: list[MatchEvidence]

    def reason(self) -> str:
        agreeing = [
            e["field"].replace("_", " ") + f" {e['level']}"
            for e in self.evidence
            if e["weight"] > 0
        ]
        return (
            f"probable match (probability {self.match_probability:.5f}, weight "
            f"{self.match_weight:.1f}): " + ", ".join(agreeing)
        )


@dataclass
class Outcome:
    document_id: int
    link: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)


def _evidence(scored: Scored) -> list[MatchEvidence]:
    return [
        MatchEvidence(field=name, level=level, weight=weight, text=text, person=person)
        for name, (level, weight, text, person) in scored.levels.items()
    ]


def identifying_agreements(levels: dict[str, tuple[str, float, str, str]]) -> int:
    """How many identifying fields agree (name as one, date of birth, NHS number); -1 where
    any of them disagrees outright (strong evidence against, never outweighed)."""
    if any(
        levels[f][0] == DISAGREE
        for f in ("given_name", "family_name", "date_of_birth", "nhs_number")
    ):
        return -1
    name = levels["given_name"][0] in _NAME_AGREES and levels["family_name"][0] in _FAMILY_AGREES
    dob = levels["date_of_birth"][0] in _DOB_AGREES
    nhs = levels["nhs_number"][0] == "exact"
    return int(name) + int(dob) + int(nhs)


def decide(scored: Sequence[Scored]) -> dict[int, Outcome]:
    """Per document: its best pair per person, ranked; the automatic link if one is safe."""
    best: dict[tuple[int, str], Scored] = {}
    for pair in scored:
        key = (document_of(pair.subject_id), pair.person_id)
        if key not in best or pair.match_weight > best[key].match_weight:
            best[key] = pair
    by_document: dict[int, list[Scored]] = {}
    for (document_id, _), pair in best.items():
        by_document.setdefault(document_id, []).append(pair)
    outcomes: dict[int, Outcome] = {}
    for document_id, pairs in by_document.items():
        pairs.sort(key=lambda p: (-p.match_weight, p.person_id))
        outcome = Outcome(document_id)
        top = pairs[0]
        runner_up = pairs[1].match_weight if len(pairs) > 1 else float("-inf")
        if (
            top.match_probability >= AUTO_PROBABILITY
            and identifying_agreements(top.levels) >= 2
            and top.match_weight - runner_up >= MARGIN_BITS
        ):
            outcome.link = Candidate(
                top.person_id, top.match_weight, top.match_probability, _evidence(top)
            )
        else:
            outcome.candidates = [
                Candidate(p.person_id, p.match_weight, p.match_probability, _evidence(p))
                for p in pairs[:MAX_CANDIDATES]
                if p.match_probability >= REVIEW_PROBABILITY
            ]
        outcomes[document_id] = outcome
    return outcomes


def people_records(session: Session) -> list[Record]:
    rows = session.execute(
        select(
            Person.person_id,
            Person.given_name,
            Person.family_name,
            Person.date_of_birth,
            Person.nhs_number,
            Person.extra,
        )
    )
    return [
        record(
            pid,
            given=given,
            family=family,
            dob=born,
            nhs=nhs or "",
            postcode=person_postcode(extra or {}),
            label=pid,
        )
        for pid, given, family, born, nhs, extra in rows
    ]


def training_records(session: Session) -> list[Record]:
    """The confirmed pairs' subject records, labelled with their person (newest first)."""
    rows = session.execute(
        select(MatchTrainingPair.document_id, MatchTrainingPair.person_id, MatchTrainingPair.fields)
        .order_by(MatchTrainingPair.id.desc())
        .limit(TRAINING_SAMPLE)
    )
    out: list[Record] = []
    for document_id, person_id, fields in rows:
        if not fields:  # a reviewer's link: the subject as the text gives it
            found = subject_records(document_id, subject_fields(get_text(session, document_id)), {})
            fields = {k: v for k, v in found[0].items() if k != "label"} if found else {}
        if fields:
            out.append({**fields, "label": person_id})
    return out


_lock = threading.Lock()
_cached: tuple[tuple[object, ...], Matcher] | None = None


def matcher_for(session: Session) -> Matcher:
    """The process's matcher for this catalog's people, trained again when the people change
    or the confirmed pairs have doubled since it was trained."""
    global _cached
    from workers.matching.model import Matcher

    people, changed = session.execute(select(func.count(), func.max(Person.updated_at))).one()
    pairs = session.scalar(select(func.count()).select_from(MatchTrainingPair)) or 0
    key = (str(session.get_bind().engine.url), people, changed, max(pairs, 1).bit_length())
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, Matcher(people_records(session), training_records(session)))
        return _cached[1]


def forget_matcher() -> None:
    global _cached
    with _lock:
        _cached = None
