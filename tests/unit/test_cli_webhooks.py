"""`escr webhooks`: subscribe (the secret printed once), list (never the secret), unsubscribe,
redeliver, deliver; a URL that is not a web address is refused with exit 2."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from core.settings import Settings


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main(["webhooks", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_webhooks_commands(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    made = _run(
        capsys, "subscribe", "mosaic", "http://127.0.0.1:9/x", "--event", "document.indexed"
    )
    assert isinstance(made, dict) and len(made["secret"]) >= 24
    assert made["events"] == ["document.indexed"]
    listed = _run(capsys, "list", "--account", "mosaic")
    assert isinstance(listed, list) and [s["id"] for s in listed] == [made["id"]]
    assert "secret" not in listed[0]
    assert _run(capsys, "redeliver", str(made["id"])) == {
        "subscription_id": made["id"],
        "redelivering": 0,
    }
    assert _run(capsys, "deliver") == {"delivered": 0, "failed_attempts": 0, "next_due": None}
    off = _run(capsys, "unsubscribe", str(made["id"]))
    assert isinstance(off, dict) and off["active"] is False
    assert main(["webhooks", "subscribe", "mosaic", "ftp://cms.example/x"]) == 2
    assert "http or https" in capsys.readouterr().err
