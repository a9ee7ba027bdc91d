"""The audit chain: tampering, removal and reordering are detected; who looked at a record."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from catalog import audit


@pytest.fixture
def chain(session: Session) -> Session:
    for n in range(4):
        audit.record(
            session,
            actor=f"user{n}",
            action="view",
            target_type="document",
            target_id=str(n),
            person_ids=["P1", "P2"] if n % 2 else ["P3"],
        )
    session.commit()
    assert audit.verify_chain(session) == []
    return session


def test_altering_one_event_is_detected(chain: Session) -> None:
    chain.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 2"))
    assert any("event 2: content" in p for p in audit.verify_chain(chain))


def test_removing_an_event_is_detected(chain: Session) -> None:
    chain.execute(text("DELETE FROM audit_events WHERE id = 2"))
    assert any("event 3: does not follow" in p for p in audit.verify_chain(chain))


def test_removing_the_last_event_is_detected(chain: Session) -> None:
    chain.execute(text("DELETE FROM audit_events WHERE id = 4"))
    assert any("chain head" in p for p in audit.verify_chain(chain))


def test_reordering_events_is_detected(chain: Session) -> None:
    chain.execute(text("UPDATE audit_events SET id = 100 WHERE id = 2"))
    chain.execute(text("UPDATE audit_events SET id = 2 WHERE id = 3"))
    chain.execute(text("UPDATE audit_events SET id = 3 WHERE id = 100"))
    assert audit.verify_chain(chain) != []


def test_who_looked_at_my_record(chain: Session) -> None:
    report = audit.person_report(chain, "P1")
    assert [r["actor"] for r in report] == ["user3", "user1"]
    assert audit.person_report(chain, "P") == []
