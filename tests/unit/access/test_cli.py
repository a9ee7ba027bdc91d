"""`escr user add`, `escr allocate` (one, or a CSV), `escr grant`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog import access as rows
from catalog.db import session_factory
from catalog.models_access import Allocation, Grant, User
from cli.main import main
from core.settings import Settings


def test_user_add_allocate_and_grant(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    args = ["user", "add", "alice", "--role", "practitioner", "--team", "team-a"]
    assert main([*args, "--password-stdin"]) == 0
    assert json.loads(capsys.readouterr().out)["roles"] == ["practitioner"]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*args, "--password-stdin"]) == 2  # too short: refused

    assert main(["allocate", "MOS1", "team-a"]) == 0
    csv_file = tmp_path / "allocations.csv"
    csv_file.write_text("\ufeffPerson_ID,Team\nMOS2,team-b\nMOS1,team-a\n,team-c\n")
    assert main(["allocate", "--file", str(csv_file)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out.splitlines()[-1]) == {"rows": 2, "added": 1}
    assert ":4: skipped" in out.err
    assert main(["grant", "alice", "adoption", "--reason", "adoption team cover"]) == 0

    with session_factory(settings.database_url)() as session:
        user = session.get(User, "alice")
        assert user is not None and rows.verify_password(
            "correct horse battery", user.password_hash
        )
        assert not rows.verify_password("wrong", user.password_hash)
        assert rows.teams_of(session, "alice") == ["team-a"]
        pairs = session.execute(select(Allocation.person_id, Allocation.team)).all()
        assert sorted(pairs) == [("MOS1", "team-a"), ("MOS2", "team-b")]
        assert session.scalars(select(Grant.restriction)).all() == ["adoption"]
