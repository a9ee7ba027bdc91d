"""Webhooks in scale-out: documents indexed by a real Celery worker on PostgreSQL, OpenSearch,
MinIO and RabbitMQ are told to a receiver that fails its first two requests, by the
`escr.deliver_webhooks` task retrying itself with backoff; each event arrives signed, and every
delivery ends delivered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document
from catalog.models_webhooks import WebhookDelivery, WebhookSubscription
from catalog.schema import migrate
from core.clock import utcnow
from tests.cms_harness.events import receiving
from tests.factories.teams import make_teams_archive
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from workers.celery_load import load_via_celery

pytestmark = pytest.mark.integration
SECRET = "scale-out-webhook-secret-0123456789abcdef"


class WebhookStack(Stack):
    def env(self) -> dict[str, str]:
        return super().env() | {
            "ESCR_WEBHOOKS__DELIVERY": "celery",
            "ESCR_WEBHOOKS__BACKOFF_BASE_S": "0.5",
        }


@pytest.fixture
def stack(services: Services, tmp_path: Path) -> Iterator[WebhookStack]:
    value = WebhookStack(services, tmp_path / "home")
    value.home.mkdir()
    value.create()
    yield value
    value.drop()


def test_a_celery_worker_tells_the_receiver_of_each_indexed_document(
    stack: WebhookStack, tmp_path: Path
) -> None:
    settings = stack.settings()
    migrate(settings.database_url)
    with receiving(SECRET, fail_first=2) as receiver:
        with session_factory(settings.database_url)() as session:
            session.add(
                WebhookSubscription(
                    account="mosaic",
                    url=receiver.url,
                    secret=SECRET,
                    events=["document.indexed"],
                    active=True,
                    created_at=utcnow(),
                )
            )
            session.commit()
        stack.start_worker("w1")
        manifest = make_teams_archive(tmp_path / "archive")
        summary = load_via_celery(
            settings,
            manifest=manifest,
            people=manifest.parent / "people.csv",
            progress=False,
            timeout_s=300,
        )
        assert summary["unaccounted"] == 0
        with session_factory(settings.database_url)() as session:
            indexed = set(session.scalars(select(Document.id).where(Document.state == "indexed")))
        events = receiver.wait_for(len(indexed), timeout_s=120)
        assert {e["data"]["document_id"] for e in events} == indexed
        assert receiver.refused == []
        assert [status for _, _, status in receiver.requests[:2]] == [500, 500]
        deadline = time.monotonic() + 60
        while True:
            with session_factory(settings.database_url)() as session:
                states = [d.state for d in session.scalars(select(WebhookDelivery))]
            if set(states) == {"delivered"} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(states) == len(indexed) and set(states) == {"delivered"}
