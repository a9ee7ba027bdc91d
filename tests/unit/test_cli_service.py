"""`escr service`: an account with its key printed once, rotation with both keys live, a key
revoked, scopes checked, each change audited as the CLI's administrator."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from catalog import service_accounts as accounts
from catalog.db import session_factory
from catalog.models import AuditEvent
from cli.main import main
from core.clock import utcnow
from core.settings import Settings


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(list(args)) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out.splitlines()[-1])
    return out


def test_add_rotate_revoke(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    made = _run(capsys, "service", "add", "mosaic", "--scope", "documents:write")
    first = str(made["api_key"])
    assert made["scopes"] == ["documents:write"]
    rotated = _run(capsys, "service", "rotate", "mosaic", "--grace-hours", "2")
    second = str(rotated["api_key"])
    keys = rotated["keys"]
    assert isinstance(keys, list) and [k["live"] for k in keys] == [True, True]
    assert keys[0]["expires_at"] is not None and keys[1]["expires_at"] is None
    with session_factory(settings.database_url)() as session:
        for token in (first, second):
            assert accounts.account_for_key(session, token, utcnow())[0].name == "mosaic"
        session.commit()
    _run(capsys, "service", "revoke-key", first.split("_")[1])
    listed = json.loads(_capture_list(capsys))
    assert [k["live"] for k in listed[0]["keys"]] == [False, True]
    assert "api_key" not in listed[0]  # never shown again
    _run(capsys, "service", "scopes", "mosaic", "--scope", "documents:read")
    assert main(["service", "add", "other", "--scope", "documents:everything"]) == 2
    assert "unknown scope" in capsys.readouterr().err
    with session_factory(settings.database_url)() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "service_account")
        ).all()
    assert actions == [
        "service_account_created",
        "service_key_rotated",
        "service_key_revoked",
        "service_account_scopes",
    ]


def _capture_list(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["service", "list"]) == 0
    return capsys.readouterr().out.splitlines()[-1]
