"""The link step's use of the matcher: documents the crosswalk could not link are matched as
one batch (Splink's cost is per batch, not per document), and each decision's candidates are
stored with their source and evidence for the queue (docs/decisions/0031)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from catalog.matching import add_training_pairs, replace_candidates
from catalog.models import Document
from core.settings import get_settings
from workers.matching.match import SCORE_FLOOR, TRAINING_SAMPLE, decide, matcher_for
from workers.matching.records import subject_records

if TYPE_CHECKING:
    from workers.link import LinkDecision

# Kinds that mean "the crosswalk does not say who": the matcher may answer them.
_MATCHABLE = frozenset({"no_legacy_id", "unknown_legacy_id"})


def needs_matching(decision: LinkDecision) -> bool:
    kinds = {kind for kind, _ in decision.exceptions}
    return (
        get_settings().link.matching and not decision.links and bool(kinds) and kinds <= _MATCHABLE
    )


def match_unlinked(session: Session, unmatched: list[tuple[Document, LinkDecision]]) -> None:
    """Probable links, or ranked candidates with evidence, for the documents in `unmatched`
    (their decisions are changed in place; settle_links then records them)."""
    records = [
        r
        for document, decision in unmatched
        for r in subject_records(document.id, decision.subject, document.extra or {})
    ]
    if not records:
        return
    with session.no_autoflush:
        outcomes = decide(matcher_for(session).score(records, min_probability=SCORE_FLOOR))
    for document, decision in unmatched:
        outcome = outcomes.get(document.id)
        if outcome is None:
            continue
        if outcome.link is not None:
            best = outcome.link
            decision.links = {best.person_id: best.reason()}
            decision.method = "probable"
            decision.exceptions = []
            decision.evidence[best.person_id] = (
                best.match_weight,
                best.match_probability,
                best.evidence,
            )
            continue
        decision.candidates = [c.person_id for c in outcome.candidates]
        for c in outcome.candidates:
            decision.sources[c.person_id] = "probable"
            decision.evidence[c.person_id] = (c.match_weight, c.match_probability, c.evidence)


def record_candidates(
    session: Session,
    document_id: int,
    kind: str,
    decision: LinkDecision,
    now: datetime,
    *,
    new_document: bool,
) -> None:
    """Store the exception's candidates ranked: scored ones by weight, then the others."""
    if not decision.candidates:
        return
    scored = sorted(
        (p for p in decision.candidates if p in decision.evidence),
        key=lambda p: -decision.evidence[p][0],
    )
    others = [p for p in decision.candidates if p not in decision.evidence]
    rows: list[dict[str, Any]] = []
    for rank, person_id in enumerate([*scored, *others], start=1):
        weight, probability, evidence = decision.evidence.get(person_id, (None, None, []))
        rows.append(
            {
                "person_id": person_id,
                "rank": rank,
                "source": decision.sources.get(person_id, "crosswalk"),
                "source_detail": "",
                "match_weight": weight,
                "match_probability": probability,
                "evidence": list(evidence),
                "created_at": now,
            }
        )
    replace_candidates(session, document_id, kind, rows, fresh=new_document)


def training_pair(
    document_id: int, decision: LinkDecision
) -> tuple[int, str, dict[str, Any]] | None:
    """A crosswalk link the text did not contradict, naming one person: a confirmed pair
    (document ID, person ID, subject fields). Probable links are not kept: the model would
    learn from its own guesses."""
    if decision.method != "crosswalk" or len(decision.links) != 1 or not decision.subject:
        return None
    records = subject_records(document_id, decision.subject, {})
    if len(decision.subject.names) > 1 or not records:
        return None
    (person_id,) = decision.links
    return document_id, person_id, {k: v for k, v in records[0].items() if k != "label"}


def record_training_pairs(
    session: Session, pairs: list[tuple[int, str, dict[str, Any]]], now: datetime
) -> None:
    """Keep a group's confirmed pairs in one statement, up to the TRAINING_SAMPLE the matcher
    reads: past it, more crosswalk pairs would not change the m estimates materially."""
    add_training_pairs(session, pairs, source="crosswalk", now=now, cap=TRAINING_SAMPLE)
