"""The audit chain anchored outside the database (issue 11, item 8): a database writer who
deletes events and rehashes the chain and its head no longer passes `escr audit verify`."""

from __future__ import annotations

import json
import stat
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.app import create_app
from catalog import audit, audit_anchor
from catalog.models import AuditEvent
from catalog.models_retention import AuditChainHead
from cli.main import main
from core.settings import Settings

ADMIN = {"Authorization": "Bearer dev-token"}


def _append(session: Session, events: int) -> None:
    for n in range(events):
        audit.record(session, actor=f"user{n}", action="view", target_id=str(n))
    session.commit()


def _rewrite_without(session: Session, ids: list[int]) -> None:
    """What a database writer can do: delete events, then rehash the rest and the head."""
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
    prev = audit.GENESIS
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    for event in events:
        event.prev_hash = prev
        event.hash = prev = audit._digest(prev, audit._fields(event))
    head = session.get(AuditChainHead, audit.HEAD_ID)
    assert head is not None
    head.hash, head.count = prev, len(events)
    session.commit()


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """No periodic checkpoints: only the ones a test asks for."""
    monkeypatch.setattr(audit, "_last_anchor", [time.monotonic()])
    monkeypatch.setattr(audit, "ANCHOR_INTERVAL_S", 3600.0)


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_deleting_events_and_rehashing_fails_verify(
    session: Session, quiet: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _append(session, 40)
    assert _verify(capsys)[0] == 0  # the chain holds, and verify anchors it
    _rewrite_without(session, list(range(5, 19)))
    assert audit.verify_chain(session) == []  # the chain alone cannot tell
    code, output = _verify(capsys)
    assert code == 1 and "BROKEN" in output
    assert "a signed checkpoint holds 40 events, the log has 26" in output


def test_rewriting_before_a_checkpoint_fails_even_when_the_count_is_made_up(
    session: Session, quiet: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _append(session, 30)
    assert _verify(capsys)[0] == 0
    _append(session, 20)
    _rewrite_without(session, list(range(3, 17)))  # 36 events now: past the checkpoint at 30
    code, output = _verify(capsys)
    assert code == 1 and "not the event 30 that a signed checkpoint holds" in output


def test_the_api_route_checks_the_checkpoints_too(
    session: Session, quiet: None, settings: Settings
) -> None:
    _append(session, 20)
    with TestClient(create_app()) as client:
        first = client.get("/api/audit/verify", headers=ADMIN).json()
        assert first["intact"] and first["checkpoints"] == 0
        _rewrite_without(session, list(range(2, 16)))
        second = client.get("/api/audit/verify", headers=ADMIN).json()
    assert not second["intact"] and second["checkpoints"] == 1
    assert any("signed checkpoint" in p for p in second["problems"])


def _store(settings: Settings) -> audit_anchor.LocalAnchorStore:
    store = audit_anchor.make_anchor_store(settings)
    assert isinstance(store, audit_anchor.LocalAnchorStore)
    return store


def test_a_forged_checkpoint_is_a_problem(
    session: Session, quiet: None, settings: Settings
) -> None:
    _append(session, 5)
    store = _store(settings)
    checkpoint = audit_anchor.write_checkpoint(session, store, settings.home / "keys")
    checkpoint["body"]["count"] = 4
    store.append(checkpoint)
    problems = audit_anchor.verify(session, store, settings.home / "keys").problems
    assert problems == ["audit checkpoint checkpoints.jsonl line 2: its signature does not hold"]


def test_checkpoints_are_kept_private_outside_the_catalog(
    session: Session, quiet: None, settings: Settings
) -> None:
    _append(session, 3)
    store = _store(settings)
    audit_anchor.write_checkpoint(session, store, settings.home / "keys")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert not store.path.is_relative_to(settings.home / "catalog.sqlite")
    body = json.loads(store.path.read_text())["body"]
    assert body["count"] == 3 and body["head"] == audit.head(session)[0]


def test_commits_write_checkpoints_every_so_many_events_never_for_a_rollback(
    session: Session, quiet: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "ANCHOR_EVERY", 10)
    for _ in range(5):
        _append(session, 5)
    audit.record(session, actor="x", action="view")  # the 26th, never committed
    for _ in range(9):
        audit.record(session, actor="x", action="view")
    session.rollback()
    counts = [c["body"]["count"] for _, c in _store(settings).read_all() if c]
    assert counts == [10, 20]
