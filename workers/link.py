"""Link a document to people: the crosswalk first, cross-checked by NHS numbers in the text.

Precision beats recall here: a document on the wrong child's record is a data breach, so
anything uncertain goes to the exception queue for a person instead of being guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from catalog.people import persons_for_legacy_id, persons_for_nhs_number
from domain.nhs import nhs_numbers_in_text
from domain.values import normalise_legacy_id
from workers.extract.signals import primed


@dataclass
class LinkDecision:
    # person_id -> why the link was made
    links: dict[str, str] = field(default_factory=dict)
    # (kind, detail) for the exception queue, with candidate person IDs for the reviewer
    exceptions: list[tuple[str, str]] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)


def decide_links(
    session: Session, *, system: str, legacy_person_ids: tuple[str, ...], text: str
) -> LinkDecision:
    """Which people a document belongs on, and what a person must still look at."""
    decision = LinkDecision()
    crosswalk_system = system.strip().upper()
    for raw_id in legacy_person_ids:
        legacy_id = normalise_legacy_id(raw_id)
        with session.no_autoflush:  # as in _cross_check_nhs
            persons = persons_for_legacy_id(session, crosswalk_system, legacy_id)
        if not persons:
            decision.exceptions.append(
                (
                    "unknown_legacy_id",
                    f"{crosswalk_system}:{raw_id.strip()} is not in the crosswalk",
                )
            )
        elif len(persons) > 1:
            decision.exceptions.append(
                (
                    "ambiguous_legacy_id",
                    f"{crosswalk_system}:{legacy_id} maps to {len(persons)} people",
                )
            )
            decision.candidates.extend(persons)
        else:
            decision.links[persons[0]] = f"crosswalk {crosswalk_system}:{legacy_id} -> {persons[0]}"
    if not legacy_person_ids:
        decision.exceptions.append(("no_legacy_id", "the manifest names no legacy person ID"))
    _cross_check_nhs(session, decision, text)
    decision.candidates = sorted(set(decision.candidates) - set(decision.links))
    return decision


def _nhs_numbers(text: str) -> Sequence[str]:
    """The NHS numbers in the text, as the sandbox child found them when it read it."""
    signals = primed(text)
    return signals.nhs_numbers if signals is not None else nhs_numbers_in_text(text)


def _cross_check_nhs(session: Session, decision: LinkDecision, text: str) -> None:
    """An NHS number in the text that belongs to someone else vetoes every automatic link."""
    for number in _nhs_numbers(text):
        # Not flushed first: people are written (and committed) before documents are linked,
        # so the pending documents and links cannot change who a number or a legacy ID belongs
        # to; an autoflush here wrote them one lookup at a time, 5 ms a lookup (a third of a
        # realistic load's main thread).
        with session.no_autoflush:
            owners = persons_for_nhs_number(session, number)
        strangers = [p for p in owners if p not in decision.links]
        if strangers and decision.links:
            decision.exceptions.append(
                (
                    "nhs_conflict",
                    f"text has NHS number {number[:3]}***{number[-2:]} of {', '.join(strangers)}, "
                    f"not of {', '.join(sorted(decision.links))}",
                )
            )
            decision.candidates.extend([*decision.links, *strangers])
            decision.links.clear()
            return
        if strangers:
            decision.candidates.extend(strangers)
        for person in owners:
            if person in decision.links:
                decision.links[person] += "; confirmed by the NHS number in the text"
