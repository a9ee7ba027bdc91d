"""Object Lock hooks and the drift report, against a local store that records lock calls."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from retention import appraise, holds, locks
from retention.evaluate import Evaluator
from storage.base import LockState
from storage.local import LocalBlobStore
from tests.unit.retention.conftest import AddDoc, add_person

TODAY = date(2024, 6, 1)


class LockingStore(LocalBlobStore):
    """A local store that keeps retention dates and legal holds the way S3 would."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.retention: dict[str, datetime] = {}
        self.holds: dict[str, bool] = {}
        self.calls: list[tuple[str, str, object]] = []

    def set_retention(self, key: str, until: datetime) -> None:
        assert until > self.retention.get(key, until.replace(year=1)), "retention shortened"
        self.retention[key] = until
        self.calls.append(("retention", key, until))

    def set_legal_hold(self, key: str, on: bool) -> None:
        self.holds[key] = on
        self.calls.append(("hold", key, on))

    def lock_state(self, key: str) -> LockState | None:
        self.stat(key)
        return LockState(self.retention.get(key), self.holds.get(key, False))


def _store(local: LocalBlobStore) -> LockingStore:
    """The same blobs as the fixture's store (add_doc puts them there), with locks."""
    return LockingStore(local.root)


def test_a_shared_blob_gets_the_latest_date_and_retention_only_lengthens(
    session: Session, evaluator: Evaluator, add_doc: AddDoc, store: LocalBlobStore
) -> None:
    add_person(session, "p1", service="adults", last_contact="2030-01-01")
    add_person(session, "p2", service="adults", last_contact="2040-01-01")
    store = _store(store)
    a = add_doc(["p1"], content=b"shared letter")
    add_doc(["p2"], content=b"shared letter")
    appraise.evaluate(session, evaluator, today=TODAY, store=store)
    key = next(iter(store.retention))
    assert store.retention == {key: locks.lock_time(date(2048, 1, 1))}
    # p2's fact is corrected to an earlier date: the store is not asked to shorten.
    from catalog.models import Person

    person = session.get(Person, "p2")
    assert person is not None
    person.extra = {"last_contact": "2031-01-01"}
    store.calls.clear()
    appraise.evaluate(session, evaluator, today=TODAY, store=store)
    assert store.calls == []
    assert [d["problems"] for d in locks.drift(session, store)["drift"]] == []
    # A later date for the other document is sent.
    person = session.get(Person, "p1")
    assert person is not None
    person.extra = {"last_contact": "2050-01-01"}
    appraise.evaluate(session, evaluator, today=TODAY, store=store)
    assert store.retention[key] == locks.lock_time(date(2058, 1, 1))
    assert a.id


def test_a_document_loaded_after_a_hold_is_held_in_the_store_at_evaluation(
    session: Session, evaluator: Evaluator, add_doc: AddDoc, store: LocalBlobStore
) -> None:
    add_person(session, "p1", service="adults", last_contact="2010-01-01")
    store = _store(store)
    holds.add_hold(
        session,
        name="inquiry",
        reason_type="inquiry",
        authority="Inquiry s.21 notice",
        owner="ig",
        criteria={"person_ids": ["p1"]},
        actor="ig",
        store=store,
    )
    assert store.holds == {}
    doc = add_doc(["p1"])
    counts = appraise.evaluate(session, evaluator, today=TODAY, store=store)
    assert counts["legal_hold_set"] == 1
    assert list(store.holds.values()) == [True]
    # Due long ago: no retention date is sent for a period that has already ended.
    assert store.retention == {}
    assert [d["problems"] for d in locks.drift(session, store)["drift"]] == []
    # Someone clears the hold behind our back: the drift report names the blob.
    key = next(iter(store.holds))
    store.holds[key] = False
    report = locks.drift(session, store)
    assert [(d["key"], d["document_ids"], d["problems"]) for d in report["drift"]] == [
        (key, [doc.id], ["legal hold missing"])
    ]


def test_release_keeps_the_store_hold_where_another_hold_covers_a_sharing_document(
    session: Session, evaluator: Evaluator, add_doc: AddDoc, store: LocalBlobStore
) -> None:
    add_person(session, "p1", service="adults", last_contact="2010-01-01")
    add_person(session, "p2", service="adults", last_contact="2010-01-01")
    store = _store(store)
    add_doc(["p1"], content=b"one copy, two records")
    add_doc(["p2"], content=b"one copy, two records")
    own = add_doc(["p1"], content=b"only p1's")
    appraise.evaluate(session, evaluator, today=TODAY, store=store)
    made = []
    for person in ("p1", "p2"):
        hold, _ = holds.add_hold(
            session,
            name=f"hold {person}",
            reason_type="litigation",
            authority="claim",
            owner="ig",
            criteria={"person_ids": [person]},
            actor="ig",
            store=store,
        )
        made.append(hold)
    assert sorted(store.holds.values()) == [True, True]
    holds.release_hold(session, made[0].id, actor="ig", reason="settled", store=store)
    shared = [k for k, on in store.holds.items() if on]
    assert len(shared) == 1  # the shared blob stays held (p2's hold); p1's own is released
    assert [k for k, on in store.holds.items() if not on] != shared
    assert [d["problems"] for d in locks.drift(session, store)["drift"]] == []
    assert own.id


def test_the_local_store_reports_that_it_enforces_nothing(
    session: Session, evaluator: Evaluator, add_doc: AddDoc, store: LocalBlobStore
) -> None:
    add_person(session, "p1", service="adults", last_contact="2030-01-01")
    add_doc(["p1"])
    appraise.evaluate(session, evaluator, today=TODAY, store=store)
    assert locks.drift(session, store) == {"enforced": False, "checked": 0, "drift": []}
