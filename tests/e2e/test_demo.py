"""`make demo` runs `escr demo`: it must complete on a fresh ESCR_HOME and leave a usable system."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models_access import User
from cli.main import main
from core.settings import Settings


def test_demo_without_serving_loads_reconciles_and_creates_users(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--no-serve", "--docs", "45", "--people", "8"]) == 0
    out = capsys.readouterr()
    assert "unaccounted     0" in out.out
    assert "4/4 a search" in out.err
    with session_factory(settings.database_url)() as session:
        users = {u.username: u for u in session.scalars(select(User))}
    assert set(users) == {"demo-admin", "demo-sw"}
    assert users["demo-sw"].roles == ["practitioner"]
