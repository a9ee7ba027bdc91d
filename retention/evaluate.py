"""Appraise one document: its record classes, and a disposal date or why it is retained.

Pure Python over facts already read, so a million documents evaluate in pages without ORM round
trips (retention/appraise.py does the reading and writing). Results for one person and one
document type are cached: documents mostly share both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.vocabulary import CONFIDENT
from retention.facts import Facts
from retention.periods import is_due, period_end, years_between
from retention.schedule import Assignment, Rule, Schedule

SCHEDULED, DUE, RETAINED = "scheduled", "due", "retained"
UNCONFIRMED = "retained: class unconfirmed"
UNLINKED = "retained: awaiting person link"
NO_CLASS = "retained: awaiting record class"


@dataclass(frozen=True)
class Decision:
    """The outcome for one document; `rule_version` names the schedule that made it."""

    status: str  # scheduled | due | retained
    record_class: str
    classes: tuple[str, ...]
    retain_until: date | None
    reason: str
    action: str
    children: bool
    rule_version: str


@dataclass(frozen=True)
class Override:
    """A reviewer's class for the document, and/or a date it must be kept until."""

    record_class: str = ""
    retain_until: date | None = None


# One person's outcome for one class: the period's last day, or the fact that is missing.
Outcome = tuple[str, date | str]


def _died_under_18(facts: Facts) -> bool:
    born, died = facts.get("date_of_birth"), facts.get("date_of_death")
    if not isinstance(born, date) or not isinstance(died, date):
        return False
    return years_between(born, died) < 18


CONDITIONS: dict[str, Callable[[Facts], bool]] = {
    "died_under_18": _died_under_18,
    "dead": lambda facts: isinstance(facts.get("date_of_death"), date),
    "foster_refused": lambda facts: facts.get("foster_refused") is True,
}


def rule_end(rule: Rule, facts: Facts) -> date | str:
    """The last day the rule keeps a record of this person, or the name of the missing fact."""
    for clock in rule.clocks:
        if clock.when and not CONDITIONS[clock.when](facts):
            continue
        known = [v for f in clock.facts if isinstance(v := facts.get(f), date)]
        if not known:
            return clock.facts[0]
        return period_end(max(known), clock.years, clock.count)
    return "underlying record"  # a class with no clock of its own (a SAR copy) is never due


def _matches(entry: Assignment, doc_type: str, facts: Facts) -> bool:
    if entry.doc_types and doc_type not in entry.doc_types:
        return False
    for name, wanted in entry.where:
        value = facts.get(name)
        if wanted is True and not value:
            return False
        if wanted is False and value:
            return False
        if isinstance(wanted, str) and str(value or "").lower() != wanted.lower():
            return False
    return True


class Evaluator:
    """Evaluates documents against one schedule version."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self._cache: dict[tuple[str, str, str], list[Outcome]] = {}
        self._decisions: dict[tuple[object, ...], Decision] = {}
        self._ends: dict[tuple[str, str, str], date | str] = {}
        self._classes: dict[tuple[str, tuple[object, ...]], list[str]] = {}
        # Only these facts decide classes, so people who agree on them share one answer.
        self._deciding = sorted({name for a in schedule.assignment for name, _ in a.where})

    def reset(self) -> None:
        """Forget cached results: people's facts may have changed since they were cached."""
        self._cache.clear()
        self._ends.clear()
        self._decisions.clear()

    def classes_for(self, doc_type: str, facts: Facts) -> list[str]:
        """Every class that applies to a document of this type on this person."""
        key = (doc_type, tuple(facts.get(name) for name in self._deciding))
        found = self._classes.get(key)
        if found is None:
            entries = self.schedule.assignment
            found = sorted({a.record_class for a in entries if _matches(a, doc_type, facts)})
            self._classes[key] = found
        return found

    def outcomes(self, person_id: str, doc_type: str, facts: Facts, forced: str) -> list[Outcome]:
        """(class, end or missing fact) for each class that applies to this person."""
        key = (person_id, doc_type, forced)
        cached = self._cache.get(key)
        if cached is None:
            classes = [forced] if forced else self.classes_for(doc_type, facts)
            cached = [(c, self._end(person_id, c, facts)) for c in classes]
            self._cache[key] = cached
        return cached

    def _end(self, person_id: str, record_class: str, facts: Facts) -> date | str:
        key = (person_id, record_class, "")
        found = self._ends.get(key)
        if found is None:
            found = self._ends[key] = rule_end(self.schedule.rule(record_class), facts)
        return found

    def decide(
        self,
        *,
        doc_type: str,
        confidence: float,
        confirmed: bool,
        people: Sequence[tuple[str, Facts]],
        today: date,
        override: Override | None = None,
    ) -> Decision:
        """The decision for one document on these people (longest period wins)."""
        unsure = not confirmed and confidence < CONFIDENT
        # Documents of one type on the same people share a decision (Decision is immutable).
        key = (doc_type, unsure, today, override, *(pid for pid, _ in people))
        found = self._decisions.get(key)
        if found is None:
            found = self._decide(doc_type, unsure, people, today, override)
            self._decisions[key] = found
        return found

    def _decide(
        self,
        doc_type: str,
        unsure: bool,
        people: Sequence[tuple[str, Facts]],
        today: date,
        override: Override | None,
    ) -> Decision:
        forced = override.record_class if override else ""
        outcomes = [o for pid, f in people for o in self.outcomes(pid, doc_type, f, forced)]
        classes = tuple(sorted({c for c, _ in outcomes}))
        rules = [self.schedule.rule(c) for c in classes]
        children = any(r.children for r in rules)
        if unsure and not forced:
            return self._retained(UNCONFIRMED, classes, children)
        if not people:
            return self._retained(UNLINKED, classes, children)
        if not outcomes:
            return self._retained(NO_CLASS, classes, children)
        missing = sorted({(c, end) for c, end in outcomes if isinstance(end, str)})
        if missing:
            cls, fact = missing[0]
            return self._retained(f"retained: awaiting {fact} ({cls})", classes, children)
        cls, end = max(outcomes, key=lambda o: (o[1], o[0]))
        assert isinstance(end, date)
        reason = f"{cls}: {self.schedule.rule(cls).citation}"
        if override and override.retain_until and override.retain_until > end:
            end, reason = override.retain_until, f"extended by review to {override.retain_until}"
        status = DUE if is_due(end, today) else SCHEDULED
        action = self.schedule.rule(cls).action
        return Decision(status, cls, classes, end, reason, action, children, self.version)

    @property
    def version(self) -> str:
        return self.schedule.version

    def _retained(self, reason: str, classes: tuple[str, ...], children: bool) -> Decision:
        first = classes[0] if classes else ""
        return Decision(RETAINED, first, classes, None, reason, "", children, self.version)
