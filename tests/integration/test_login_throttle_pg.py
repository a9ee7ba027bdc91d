"""Login throttling on the real PostgreSQL (issue 11, item 7): the counts are catalog rows that
every API worker shares, made by an upsert two workers can race on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import psycopg
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api import auth
from catalog import access as rows
from catalog.models import AuditEvent
from catalog.models_login import LoginThrottle
from catalog.schema import migrate
from core.settings import Settings
from tests.integration.conftest import Services

pytestmark = pytest.mark.integration

NOW = datetime(2030, 1, 1, 9, 0)


@pytest.fixture
def url(services: Services) -> Iterator[str]:
    schema = f"t{uuid.uuid4().hex[:10]}"
    plain = services.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{services.database_url}?options=-csearch_path%3D{schema}"
        migrate(url)
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _fail(url: str, settings: Settings, username: str) -> str:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            try:
                auth.log_in(session, settings, username, "wrong", address="10.0.0.9")
            except auth.LoginThrottled:
                outcome = "throttled"
            except auth.NotAuthenticated:
                outcome = "failed"
            else:
                outcome = "ok"
            session.commit()
            return outcome
    finally:
        engine.dispose()


def test_concurrent_failures_share_one_count_and_then_wait(
    url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "utcnow", lambda: NOW)
    engine = create_engine(url)
    with Session(engine) as session:
        rows.upsert_user(
            session, username="alice", roles=["practitioner"], teams=[], password="pw", now=NOW
        )
        session.commit()
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: _fail(url, settings, "alice"), range(6)))
    assert outcomes == ["failed"] * 6
    assert _fail(url, settings, "alice") == "throttled"
    with Session(engine) as session:
        counts = {r.key: r.failures for r in session.scalars(select(LoginThrottle))}
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    engine.dispose()
    assert counts == {"user:alice": 6, "addr:10.0.0.9": 6}
    assert actions == ["login_failed"] * 6 + ["login_throttled"]


def test_a_nul_in_the_username_is_a_failed_login_not_a_crash(url: str, settings: Settings) -> None:
    assert _fail(url, settings, "ali\x00ce") == "failed"
