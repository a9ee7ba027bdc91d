"""Re-evaluation skips documents whose inputs have not changed, and only those."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Person
from catalog.models_retention import RetentionDecision, RetentionOverride
from retention import appraise
from retention.evaluate import Evaluator
from retention.schedule import load_schedule
from tests.unit.retention.conftest import NOW, AddDoc, add_person

TODAY = date(2024, 6, 1)


def _decision(session: Session, document_id: int) -> RetentionDecision:
    session.expire_all()
    row = session.scalar(
        select(RetentionDecision).where(RetentionDecision.document_id == document_id)
    )
    assert row is not None
    return row


def test_unchanged_documents_keep_their_decisions(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_person(
        session, "p1", date_of_birth=date(1950, 1, 1), service="adults", last_contact="2010-01-01"
    )
    add_person(session, "p2", date_of_birth=date(1960, 1, 1), service="adults")
    docs = [add_doc(["p1"]), add_doc(["p2"]), add_doc(["p1", "p2"])]
    first = appraise.evaluate(session, evaluator, today=TODAY)
    assert first["evaluated"] == 3 and first["unchanged"] == 0
    second = appraise.evaluate(session, evaluator, today=TODAY)
    assert second["evaluated"] == 0 and second["unchanged"] == 3
    statuses = ("due", "scheduled", "retained")
    assert {k: second[k] for k in statuses} == {k: first[k] for k in statuses}
    assert appraise.evaluate(session, evaluator, today=TODAY, full=True)["evaluated"] == 3
    assert _decision(session, docs[0].id).inputs


def test_changed_facts_links_classes_overrides_and_rules_are_decided_again(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_person(session, "p1", date_of_birth=date(1950, 1, 1), service="adults")
    add_person(
        session, "p2", date_of_birth=date(1960, 1, 1), service="adults", last_contact="2012-01-01"
    )
    a, b, c = add_doc(["p1"]), add_doc(["p2"]), add_doc(["p2"], confidence=0.4)
    appraise.evaluate(session, evaluator, today=TODAY)
    assert _decision(session, a.id).reason.startswith("retained: awaiting")
    # A fact arrives for p1: only p1's document is decided again, and it now has a date.
    person = session.get(Person, "p1")
    assert person is not None
    person.extra = {"last_contact": "2010-01-01"}
    counts = appraise.evaluate(session, evaluator, today=TODAY)
    assert (counts["evaluated"], counts["unchanged"]) == (1, 2)
    assert _decision(session, a.id).retain_until is not None
    # A person confirms c's class.
    c.type_confirmed = True
    assert appraise.evaluate(session, evaluator, today=TODAY)["evaluated"] == 1
    # A reviewer's override on b.
    session.add(
        RetentionOverride(
            document_id=b.id, retain_until=date(2090, 1, 1), reason="r", actor="x", at=NOW
        )
    )
    assert appraise.evaluate(session, evaluator, today=TODAY)["evaluated"] == 1
    assert _decision(session, b.id).retain_until == date(2090, 1, 1)
    # A new schedule version decides everything again.
    schedule = load_schedule()
    other = Evaluator(replace(schedule, version=schedule.version + "+test"))
    assert appraise.evaluate(session, other, today=TODAY)["evaluated"] == 3


def test_a_new_day_makes_kept_decisions_due_without_deciding_again(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_person(
        session, "p1", date_of_birth=date(1940, 1, 1), service="adults", last_contact="2016-06-01"
    )
    doc = add_doc(["p1"])
    appraise.evaluate(session, evaluator, today=date(2020, 1, 1))
    before = _decision(session, doc.id)
    assert before.status == "scheduled" and before.retain_until is not None
    later = before.retain_until.replace(year=before.retain_until.year + 1)
    counts = appraise.evaluate(session, evaluator, today=later)
    assert counts["evaluated"] == 0 and counts["due"] == 1
    assert _decision(session, doc.id).status == "due"
    # An earlier day (a re-run as of a past date) moves it back.
    assert appraise.evaluate(session, evaluator, today=date(2020, 1, 1))["scheduled"] == 1
