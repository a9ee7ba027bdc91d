"""The CMS contract on the scale-out stack: PostgreSQL, MinIO, OpenSearch, RabbitMQ and two
real Celery workers, the API in process with ESCR_INTAKE__RUNNER=celery, so each upload is an
`escr.ingest` task like a loaded row. The same scenarios as the embedded default
(tests/unit/api/test_cms_contract.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from catalog import access as rows
from catalog import service_accounts as accounts
from catalog.db import session_factory
from catalog.models import Document
from core.clock import utcnow
from core.settings import get_settings
from tests.cms_harness import contract
from tests.cms_harness.client import CmsClient
from tests.factories.teams import ALLOCATIONS, make_teams_archive
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from workers.celery_load import load_via_celery

pytestmark = pytest.mark.integration


@pytest.fixture
def mosaic_on_stack(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[CmsClient, Stack]]:
    """The teams archive loaded through Celery, Mosaic's account and jsmith (team-a), and the
    app in this process on the stack's settings."""
    stack = Stack(services, tmp_path / "home")
    stack.home.mkdir()
    stack.create()
    try:
        stack.start_worker("w1")
        stack.start_worker("w2")
        manifest = make_teams_archive(tmp_path / "archive")
        settings = stack.settings()
        summary = load_via_celery(
            settings,
            manifest=manifest,
            people=manifest.parent / "people.csv",
            progress=False,
            timeout_s=300,
        )
        assert summary["unaccounted"] == 0
        with session_factory(settings.database_url)() as session:
            for person_id, team in ALLOCATIONS:
                rows.allocate(
                    session, person_id=person_id, team=team, source="t", actor="t", now=utcnow()
                )
            rows.upsert_user(
                session,
                username="jsmith",
                roles=["practitioner"],
                teams=["team-a"],
                password=None,
                now=utcnow(),
            )
            _, issued = accounts.create_account(
                session,
                name="mosaic",
                scopes=["documents:read", "documents:write"],
                actor="t",
                now=utcnow(),
            )
            session.commit()
        assert issued is not None
        for name, value in {**stack.env(), "ESCR_INTAKE__RUNNER": "celery"}.items():
            if name.startswith("ESCR_"):
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        with TestClient(create_app()) as http:
            yield CmsClient(http, issued.token, "jsmith"), stack
    finally:
        get_settings.cache_clear()
        stack.drop()


def test_cms_contract_on_the_scale_out_stack(
    mosaic_on_stack: tuple[CmsClient, Stack],
) -> None:
    cms, stack = mosaic_on_stack
    document_id = contract.upload_until_searchable(cms, "MOS1")
    # Retention-evaluated once indexed, by the workers' escr.evaluate_retention (as the
    # embedded runner does), not at the next sweep.
    deadline = time.monotonic() + 60
    while (retention := cms.get(f"/api/documents/{document_id}").json()["retention"]) is None:
        assert time.monotonic() < deadline, "the upload's retention was never evaluated"
        time.sleep(0.2)
    assert retention["status"] in ("scheduled", "retained", "due")
    contract.fetch_with_etags(cms, document_id)
    contract.retry_stores_once(cms, "MOS1")
    contract.version_then_correct(cms, "MOS3")
    contract.scan_is_ocred(cms, "MOS3")
    with session_factory(stack.database_url)() as session:
        uploads = session.scalar(
            select(func.count()).select_from(Document).where(Document.source_system == "cms:mosaic")
        )
    assert uploads == 4  # one a scenario: the retries stored nothing
