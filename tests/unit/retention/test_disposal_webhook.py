"""A document destroyed by an approved disposal is told to the subscribed systems: one
`document.disposed` event with the people it was on, written by the destroying transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models_webhooks import WebhookDelivery, WebhookEvent, WebhookSubscription
from core.clock import utcnow
from core.settings import Settings
from indexer.embedded import EmbeddedIndex
from retention import disposal
from retention.evaluate import Evaluator
from storage.local import LocalBlobStore
from tests.unit.retention.conftest import AddDoc
from tests.unit.retention.test_disposal import WHY, _adult_doc, _execute, _propose


def test_a_destroyed_document_is_told_as_disposed(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    session.add(
        WebhookSubscription(
            account="mosaic",
            url="https://mosaic.example/escr-events",
            secret="a-long-shared-secret-for-the-cms-0123456789",
            events=["document.disposed"],
            active=True,
            created_at=utcnow(),
        )
    )
    doc = _adult_doc(session, add_doc)
    kept = _adult_doc(session, add_doc, pid="A2")
    session.commit()
    proposal_id = _propose(session, evaluator)
    disposal.review(session, proposal_id, actor="bob", decision="approve", justification=WHY)
    outcome = _execute(session, settings, evaluator, store, index, proposal_id)
    session.commit()
    assert outcome.counts == {"destroyed": 2}
    events = {e.document_id: e for e in session.scalars(select(WebhookEvent))}
    assert set(events) == {doc.id, kept.id}
    assert events[doc.id].event_type == "document.disposed"
    assert events[doc.id].payload["person_ids"] == ["A1"]
    assert events[kept.id].payload["person_ids"] == ["A2"]
    assert len(session.scalars(select(WebhookDelivery)).all()) == 2


def test_a_disposal_with_no_subscriber_writes_nothing(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    _adult_doc(session, add_doc)
    session.commit()
    proposal_id = _propose(session, evaluator)
    disposal.review(session, proposal_id, actor="bob", decision="approve", justification=WHY)
    assert _execute(session, settings, evaluator, store, index, proposal_id).counts == {
        "destroyed": 1
    }
    assert session.scalars(select(WebhookEvent)).all() == []
