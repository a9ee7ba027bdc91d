"""Every boundary of DOMAIN.md's retention notes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models_retention import RetentionDecision
from retention import appraise
from retention.evaluate import Evaluator, rule_end
from retention.facts import facts_of
from retention.periods import is_due, period_end
from tests.unit.retention.conftest import AddDoc, add_person

TODAY = date(2024, 6, 1)


def test_fifteen_years_beginning_with_ends_the_day_before_the_anniversary() -> None:
    end = period_end(date(2010, 5, 1), 15, "beginning_with")
    assert end == date(2025, 4, 30)
    assert not is_due(end, date(2025, 4, 30))
    assert is_due(end, date(2025, 5, 1))


def test_until_the_75th_anniversary_ends_on_the_anniversary() -> None:
    end = period_end(date(1950, 3, 10), 75, "anniversary")
    assert end == date(2025, 3, 10)
    assert not is_due(end, date(2025, 3, 10))
    assert is_due(end, date(2025, 3, 11))


def test_a_29_february_anniversary_falls_on_1_march() -> None:
    assert period_end(date(2000, 2, 29), 75, "anniversary") == date(2075, 3, 1)


def test_looked_after_child_dying_under_18_is_kept_15_years_beginning_with_death(
    evaluator: Evaluator,
) -> None:
    facts = facts_of(
        date_of_birth=date(2000, 1, 1),
        date_of_death=date(2010, 5, 1),
        service="children",
        extra={"looked_after": "yes"},
    )
    assert rule_end(evaluator.schedule.rule("looked_after_child"), facts) == date(2025, 4, 30)


def test_looked_after_child_is_kept_until_the_75th_anniversary(evaluator: Evaluator) -> None:
    facts = facts_of(
        date_of_birth=date(1949, 6, 1),
        date_of_death=None,
        service="children",
        extra={"looked_after": "Y"},
    )
    decision = evaluator.decide(
        doc_type="case_note",
        confidence=0.95,
        confirmed=False,
        people=[("p1", facts)],
        today=date(2024, 6, 2),
    )
    assert (decision.record_class, decision.retain_until) == (
        "looked_after_child",
        date(2024, 6, 1),
    )
    assert decision.status == "due" and decision.children


def test_unknown_fact_means_retained(evaluator: Evaluator) -> None:
    facts = facts_of(
        date_of_birth=None, date_of_death=None, service="children", extra={"looked_after": "true"}
    )
    decision = evaluator.decide(
        doc_type="case_note", confidence=0.95, confirmed=False, people=[("p1", facts)], today=TODAY
    )
    assert decision.status == "retained"
    assert decision.reason.startswith("retained: awaiting date_of_birth")
    assert decision.retain_until is None


def test_unreadable_fact_is_unknown(evaluator: Evaluator) -> None:
    facts = facts_of(
        date_of_birth=None,
        date_of_death=None,
        service="adults",
        extra={"case_closure_date": "sometime in 2004"},
    )
    decision = evaluator.decide(
        doc_type="case_note", confidence=0.95, confirmed=False, people=[("p1", facts)], today=TODAY
    )
    assert decision.reason.startswith("retained: awaiting case_closure_date")


def test_multi_person_document_takes_the_longest(evaluator: Evaluator) -> None:
    early = facts_of(
        date_of_birth=None,
        date_of_death=None,
        service="adults",
        extra={"case_closure_date": "2010-01-01"},
    )
    late = facts_of(
        date_of_birth=None,
        date_of_death=None,
        service="adults",
        extra={"case_closure_date": "01/01/2015"},
    )
    decision = evaluator.decide(
        doc_type="case_note",
        confidence=0.95,
        confirmed=False,
        people=[("a", early), ("b", late)],
        today=TODAY,
    )
    assert decision.retain_until == date(2023, 1, 1)
    # One unknown person keeps the whole document.
    unknown = facts_of(date_of_birth=None, date_of_death=None, service="adults", extra={})
    decision = evaluator.decide(
        doc_type="case_note",
        confidence=0.95,
        confirmed=False,
        people=[("a", early), ("c", unknown)],
        today=TODAY,
    )
    assert decision.status == "retained"


def test_several_classes_take_the_longest(evaluator: Evaluator) -> None:
    facts = facts_of(
        date_of_birth=None,
        date_of_death=None,
        service="adults",
        extra={"case_closure_date": "2012-01-01", "complaint_closure_date": "2010-01-01"},
    )
    decision = evaluator.decide(
        doc_type="complaint", confidence=0.95, confirmed=False, people=[("a", facts)], today=TODAY
    )
    assert decision.classes == ("adult_social_care", "complaints")
    assert (decision.record_class, decision.retain_until) == ("adult_social_care", date(2020, 1, 1))


def test_low_confidence_class_is_never_disposable_until_confirmed(evaluator: Evaluator) -> None:
    facts = facts_of(
        date_of_birth=None,
        date_of_death=None,
        service="adults",
        extra={"case_closure_date": "2000-01-01"},
    )
    guess = evaluator.decide(
        doc_type="case_note", confidence=0.5, confirmed=False, people=[("a", facts)], today=TODAY
    )
    assert (guess.status, guess.reason) == ("retained", "retained: class unconfirmed")
    confirmed = evaluator.decide(
        doc_type="case_note", confidence=0.5, confirmed=True, people=[("a", facts)], today=TODAY
    )
    assert confirmed.status == "due"


def test_every_decision_records_the_rule_version(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_person(session, "A1", service="adults", case_closure_date="2001-02-03")
    doc = add_doc(["A1"])
    counts = appraise.evaluate(session, evaluator, today=TODAY)
    row = session.scalar(select(RetentionDecision).where(RetentionDecision.document_id == doc.id))
    assert counts["due"] == 1 and row is not None
    assert row.rule_version == evaluator.version
    assert row.rule_version.startswith("escr-default-v1#")
    assert row.retain_until == date(2009, 2, 3)


def test_unlinked_document_is_retained(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_doc([])
    assert appraise.evaluate(session, evaluator, today=TODAY)["retained"] == 1
