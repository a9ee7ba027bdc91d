"""Link a document to people: the crosswalk first (and reviewers' resolutions of legacy IDs),
cross-checked by what the text says about its subject; then, for documents the crosswalk
cannot link, probable matches (workers/matching/, docs/decisions/0031).

Precision beats recall here: a document on the wrong child's record is a data breach, so
anything uncertain goes to the exception queue for a person instead of being guessed. A
crosswalk link the text contradicts (another person's NHS number; a date of birth or NHS
number that is not the linked person's; another catalog person's name and date of birth) is
withheld and queued with both people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from catalog.models_matching import MatchEvidence
from catalog.people import persons_for_legacy_id, persons_for_nhs_number
from catalog.person_facts import person_facts, prefetch
from core.settings import get_settings
from domain.nhs import nhs_numbers_in_text
from domain.values import normalise_legacy_id
from workers.extract.signals import primed
from workers.matching.evidence import (
    legacy_resolution,
    names_a_relative_instead,
    names_any,
    people_called,
    people_named,
    same_birth_date,
)
from workers.subject import SubjectFields, subject_fields, title_names


@dataclass
class LinkDecision:
    # person_id -> why the link was made
    links: dict[str, str] = field(default_factory=dict)
    # (kind, detail) for the exception queue, with candidate person IDs for the reviewer
    exceptions: list[tuple[str, str]] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    # candidate person ID -> where it came from (crosswalk, text_nhs, text_name_dob), for the
    # queue to label which side of a disagreement each person is on
    sources: dict[str, str] = field(default_factory=dict)
    subject: SubjectFields = field(default_factory=SubjectFields)
    method: str = "crosswalk"  # or "probable" (workers/matching/settle.py)
    # person ID -> the matcher's evidence, for the links and candidates it proposed
    evidence: dict[str, tuple[float, float, list[MatchEvidence]]] = field(default_factory=dict)


def decide_links(
    session: Session,
    *,
    system: str,
    legacy_person_ids: tuple[str, ...],
    text: str,
    title: str = "",
    crosswalk_system: str = "",
) -> LinkDecision:
    """Which people a document belongs on, and what a person must still look at. The
    manifest's title is read for names only where the text's head gives no subject. The
    crosswalk is asked under `crosswalk_system` where given (the mapping's legacy_id_system:
    a document store's rows carrying another system's IDs), else the document's `system`;
    a reviewer's resolutions are kept under the document's own system."""
    decision = LinkDecision()
    own_system = system.strip().upper()
    crosswalk_system = crosswalk_system.strip().upper() or own_system
    for raw_id in legacy_person_ids:
        legacy_id = normalise_legacy_id(raw_id)
        with session.no_autoflush:  # as in _cross_check_nhs
            persons = persons_for_legacy_id(session, crosswalk_system, legacy_id)
        if not persons and (resolved := legacy_resolution(session, own_system, legacy_id)):
            decision.links[resolved[0]] = (
                f"{own_system}:{legacy_id} resolved to {resolved[0]} by {resolved[1]} "
                "in an earlier round"
            )
        elif not persons:
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
    for person in decision.links:
        decision.sources[person] = "crosswalk"
    _cross_check_nhs(session, decision, text)
    if get_settings().link.matching:
        decision.subject = _subject(text)
        if decision.links:
            _check_subject(session, decision, title)
        elif decision.candidates:  # an ambiguous legacy ID: also whom the text names
            for pid in people_named(session, decision.subject, alike=True):
                decision.sources.setdefault(pid, "text_name_dob")
                decision.candidates.append(pid)
    decision.candidates = sorted(set(decision.candidates) - set(decision.links))
    return decision


def prefetch_people(
    session: Session, documents: Sequence[tuple[str, tuple[str, ...], str]]
) -> None:
    """Read, in one query per group rather than one per document, the people decide_links
    will check for these (system, legacy person IDs, text): the people the crosswalk links
    and everyone born on a date of birth a subject block gives (docs/decisions/0031)."""
    if not get_settings().link.matching:
        return
    person_ids: set[str] = set()
    dates: set[date] = set()
    for system, legacy_person_ids, text in documents:
        subject = _subject(text)
        if not subject.dates_of_birth and not subject.nhs_numbers and not subject.names:
            continue  # _check_subject has nothing to check
        if subject.names:
            dates.update(subject.dates_of_birth)
        crosswalk_system = system.strip().upper()
        for raw_id in legacy_person_ids:
            with session.no_autoflush:  # cached for the session; decide_links asks again
                person_ids.update(
                    persons_for_legacy_id(session, crosswalk_system, normalise_legacy_id(raw_id))
                )
    prefetch(session, person_ids=person_ids, dates_of_birth=dates)


def _subject(text: str) -> SubjectFields:
    """What the text's head says about its subject, as the sandbox child found it."""
    signals = primed(text)
    return signals.subject if signals is not None else subject_fields(text)


def _check_subject(session: Session, decision: LinkDecision, title: str = "") -> None:
    """Withhold the crosswalk's links where the text's subject block says it is about someone
    else: a date of birth or NHS number that none of the linked people has, another catalog
    person's name with their date of birth, a relative's name (same family name) without the
    linked person's own, or another catalog person's full name without theirs (read from the
    title when the text names nobody: a file with no text). A name that is nobody's in the
    catalog never does (typos, a parent's or a worker's name)."""
    subject = decision.subject
    names = subject.names or title_names(title)
    if not subject.dates_of_birth and not subject.nhs_numbers and not names:
        return
    linked = [p for p in (person_facts(session, pid) for pid in decision.links) if p]
    reasons: list[str] = []
    known_dobs = [p.date_of_birth for p in linked if p.date_of_birth]
    if (
        subject.dates_of_birth
        and known_dobs
        and not any(same_birth_date(d, k) for d in subject.dates_of_birth for k in known_dobs)
    ):
        reasons.append("its date of birth is not the linked person's")
    known_nhs = {p.nhs_number for p in linked if p.nhs_number}
    if subject.nhs_numbers and known_nhs and not known_nhs & set(subject.nhs_numbers):
        reasons.append("its NHS number is not the linked person's")
    apart = [
        p.person_id for p in linked if names_a_relative_instead(names, p.given_name, p.family_name)
    ]
    if apart:
        reasons.append(f"it names a relative of {', '.join(apart)}, not them")
    named = people_named(session, subject)
    others = [pid for pid in named if pid not in decision.links]
    linked_named = set(named) & set(decision.links)
    if others and not linked_named:
        reasons.append(f"it names {', '.join(others)} with their date of birth")
    called: list[str] = []
    if names and linked and not subject.dates_of_birth and not names_any(names, linked):
        # Only where no date of birth tells same-name people apart (people_named does then).
        called = [p for p in people_called(session, names) if p not in decision.links]
        if called:
            reasons.append(f"it names {', '.join(called)} and not the linked person")
    if not reasons:
        return
    # The reviewer's candidates: also those named with a slip or another spelling.
    others += [
        p
        for p in people_named(session, subject, alike=True)
        if p not in decision.links and p not in others
    ]
    decision.exceptions.append(
        (
            "subject_mismatch",
            f"the text's subject is not {', '.join(sorted(decision.links))}: " + "; ".join(reasons),
        )
    )
    for pid in others:
        decision.sources.setdefault(pid, "text_name_dob")
    for pid in called:
        decision.sources.setdefault(pid, "text_name")
    decision.candidates.extend([*decision.links, *others, *called])
    decision.links.clear()


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
            for person in strangers:
                decision.sources.setdefault(person, "text_nhs")
            decision.links.clear()
            return
        if strangers:
            decision.candidates.extend(strangers)
            for person in strangers:
                decision.sources.setdefault(person, "text_nhs")
        for person in owners:
            if person in decision.links:
                decision.links[person] += "; confirmed by the NHS number in the text"
