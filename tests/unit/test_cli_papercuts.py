"""Papercuts a new user hit (issue 12, section 6): unknown filter values, terminal search output,
`| head`, `escr user list`, `escr batches`, a user without a password, help text, the demo's
users without the server."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from packaging.requirements import Requirement

from api.app import create_app
from catalog import access as rows
from catalog.db import session_factory
from catalog.models_access import User
from cli.main import main
from cli.terminal import BOLD_UNDERLINE, RESET, terminal_snippet
from core.settings import Settings
from tests.factories.tiny import make_tiny_archive
from workers.load import load_archive

AUTH = {"Authorization": "Bearer dev-token"}
PASSWORD = "correct horse battery"


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> dict[str, Any]:
    manifest = make_tiny_archive(tmp_path / "archive")
    return load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        progress=False,
    )


@pytest.fixture
def client(loaded: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app()) as value:
        yield value


# --- an unknown filter value is an error naming the valid ones ---------------------------------


def test_cli_search_unknown_type_exits_2_with_the_valid_types(
    loaded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "grandmother", "--type", "edu"]) == 2
    err = capsys.readouterr().err
    assert "'edu'" in err and "education" in err and "case_note" in err


def test_cli_search_known_type_still_answers(
    loaded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "grandmother", "--type", "case_note", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] >= 0


def test_api_search_unknown_type_is_422_naming_the_valid_types(client: TestClient) -> None:
    answer = client.get("/api/search", params={"type": "edu"}, headers=AUTH)
    assert answer.status_code == 422
    assert "education" in answer.text and "'edu'" in answer.text
    assert client.get("/api/search", params={"type": "care_plan"}, headers=AUTH).status_code == 200


def test_api_chronology_unknown_type_is_422(client: TestClient) -> None:
    answer = client.get("/api/people/MOS1/documents", params={"type": "edu"}, headers=AUTH)
    assert answer.status_code == 422 and "education" in answer.text


def test_api_exceptions_unknown_kind_is_422_naming_the_valid_kinds(client: TestClient) -> None:
    answer = client.get("/api/exceptions", params={"kind": "bogus"}, headers=AUTH)
    assert answer.status_code == 422
    assert "no_legacy_id" in answer.text and "'bogus'" in answer.text
    known = client.get("/api/exceptions", params={"kind": "no_legacy_id"}, headers=AUTH)
    assert known.status_code == 200 and len(known.json()) == 1


def test_api_exceptions_by_batch_as_the_web_queue_filters_them(
    loaded: dict[str, Any], client: TestClient
) -> None:
    ours = client.get("/api/exceptions", params={"batch": loaded["batch"]}, headers=AUTH)
    assert ours.status_code == 200 and len(ours.json()) == len(
        client.get("/api/exceptions", headers=AUTH).json()
    )
    assert len(ours.json()) >= 1
    unknown = client.get("/api/exceptions", params={"batch": "no-such-batch"}, headers=AUTH)
    assert unknown.status_code == 404 and "batch" in unknown.text


def test_an_unknown_source_system_is_data_not_an_error(client: TestClient) -> None:
    answer = client.get("/api/search", params={"source": "NOSUCH"}, headers=AUTH)
    assert answer.status_code == 200 and answer.json()["total"] == 0


def test_web_search_form_unknown_type_is_refused_with_the_valid_types(
    settings: Settings, client: TestClient
) -> None:
    with session_factory(settings.database_url)() as session:
        rows.upsert_user(
            session,
            username="sw",
            roles=["practitioner"],
            teams=[],
            password=PASSWORD,
            now=datetime.now(UTC).replace(tzinfo=None),
        )
        session.commit()
    login = client.post("/login", data={"username": "sw", "password": PASSWORD})
    assert login.status_code == 200
    answer = client.get("/search", params={"q": "visit", "type": "edu"})
    assert answer.status_code == 422
    assert "education" in answer.text and "edu" in answer.text
    chronology = client.get("/people/MOS1", params={"type": "edu"})
    assert chronology.status_code == 422 and "education" in chronology.text


def test_web_exception_queue_unknown_kind_is_refused_with_the_valid_kinds(
    settings: Settings, client: TestClient
) -> None:
    with session_factory(settings.database_url)() as session:
        rows.upsert_user(
            session,
            username="mig",
            roles=["migration_officer"],
            teams=[],
            password=PASSWORD,
            now=datetime.now(UTC).replace(tzinfo=None),
        )
        session.commit()
    assert client.post("/login", data={"username": "mig", "password": PASSWORD}).status_code == 200
    answer = client.get("/migration/exceptions", params={"kind": "bogus"})
    assert answer.status_code == 422 and "no_legacy_id" in answer.text
    assert client.get("/migration/exceptions", params={"kind": "no_legacy_id"}).status_code == 200


# --- search output for a terminal; `| head` -----------------------------------------------------


def test_cli_search_pluralises_and_shows_no_raw_mark_tags(
    loaded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "allotment"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "1 document"
    assert "<mark>" not in out and "[allotment]" in out  # not a terminal: brackets
    assert main(["search", "grandmother"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "3 documents"


def test_terminal_snippet_styles_for_a_terminal_and_defuses_the_documents_own_escapes() -> None:
    snippet = "Tom &amp; Jerry <mark>visit</mark> \x1b[2J"
    assert terminal_snippet(snippet, styled=False) == "Tom & Jerry [visit]  [2J"
    assert terminal_snippet(snippet, styled=True) == (
        f"Tom & Jerry {BOLD_UNDERLINE}visit{RESET}  [2J"
    )


def test_search_piped_into_a_reader_that_has_gone_ends_without_a_traceback(
    loaded: dict[str, Any],
) -> None:
    # `head -n 0` leaves before escr (a second of start-up) writes a byte: every write meets a
    # closed pipe, as the later lines of a long result do under `| head -1`.
    escr = Path(sys.executable).parent / "escr"
    done = subprocess.run(
        f"'{escr}' search grandmother | head -n 0; echo \"status ${{PIPESTATUS[0]}}\" >&2",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr.strip().endswith("status 141")


# --- escr batches, escr user list, a user without a password ------------------------------------


def test_batches_lists_the_loaded_batch(
    loaded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batches"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["batch", "state", "rows", "done", "started", "finished"]
    assert lines[1].split()[:4] == [loaded["batch"], "complete", "3", "3"]
    assert main(["batches", "--json"]) == 0
    (batch,) = json.loads(capsys.readouterr().out)
    assert (batch["batch"], batch["rows"], batch["status"]) == (loaded["batch"], 3, "complete")
    assert batch["started_at"] and batch["finished_at"]


def test_user_list_shows_roles_teams_active_and_password(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "alice", "--role", "practitioner", "--team", "north"]) == 0
    assert main(["user", "add", "bob", "--role", "ig_officer", "--password-stdin"]) == 0
    assert main(["user", "deactivate", "bob", "--reason", "left the service"]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "username": "alice",
            "roles": ["practitioner"],
            "teams": ["north"],
            "active": True,
            "password_set": False,
        },
        {
            "username": "bob",
            "roles": ["ig_officer"],
            "teams": [],
            "active": False,
            "password_set": True,
        },
    ]
    assert main(["user", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].split() == ["alice", "yes", "none", "practitioner", "/", "north"]
    assert table[2].split() == ["bob", "no", "set", "ig_officer", "/", "-"]


def test_user_add_without_a_password_says_they_cannot_log_in_with_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "add", "carol", "--role", "practitioner"]) == 0
    err = capsys.readouterr().err
    assert "carol has no password" in err and "--password-stdin" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "carol", "--role", "practitioner", "--password-stdin"]) == 0
    assert main(["user", "add", "carol", "--role", "team_manager"]) == 0  # keeps the password
    assert "no password" not in capsys.readouterr().err


# --- help text and examples ----------------------------------------------------------------------


def _commands(parser: argparse.ArgumentParser, path: str = "escr") -> Iterator[Any]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield f"{path} {name}", child
                yield from _commands(child, f"{path} {name}")


def test_every_option_has_help_and_every_command_examples() -> None:
    from cli.main import _parser

    missing, without_examples = [], []
    for path, parser in _commands(_parser()):
        has_children = any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
        if not has_children and "examples:" not in (parser.epilog or ""):
            without_examples.append(path)
        for action in parser._actions:
            if action.help is None and not isinstance(action, argparse._SubParsersAction):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []
    assert without_examples == []


# --- the demo's users without the server ---------------------------------------------------------


def test_demo_no_serve_still_makes_and_prints_the_users(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[Any] = []
    monkeypatch.setattr("cli.common.serve_web", lambda *a: served.append(a))
    assert main(["demo", "--no-serve", "--docs", "12", "--people", "4", "--port", "8123"]) == 0
    assert served == []
    err = capsys.readouterr().err
    found = dict(re.findall(r"log in as (\S+) / (\S+) ", err))
    assert set(found) == {"demo-admin", "demo-sw"}
    assert "escr serve --port 8123" in err
    with session_factory(settings.database_url)() as session:
        user = session.get(User, "demo-sw")
        assert user is not None and rows.verify_password(found["demo-sw"], user.password_hash)


# --- installing prints no deprecation warnings ---------------------------------------------------


def test_pyproject_declares_its_licence_as_an_spdx_expression() -> None:
    """The table form (`license = {text = ...}`) makes setuptools print ~40 lines of deprecation
    warnings on every install; the SPDX string needs setuptools 77 to build. (Checked by hand:
    `pip install -e .` into a fresh venv prints no deprecation warning.)"""
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    (setuptools,) = [
        Requirement(r) for r in project["build-system"]["requires"] if r.startswith("setuptools")
    ]
    assert not setuptools.specifier.contains("76.99") and setuptools.specifier.contains("77.0")


def test_a_documents_own_escape_sequences_never_reach_the_terminal(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = make_tiny_archive(tmp_path / "archive")
    hostile = "Home visit.\n\x1b]0;owned\x07\x1b[2J grandmother seen.\tOK\n"
    (manifest.parent / "files/visit.txt").write_text(hostile, encoding="utf-8")
    load_archive(settings, manifest=manifest, people=manifest.parent / "people.csv", progress=False)
    assert main(["search", "grandmother", "--limit", "3"]) == 0
    assert main(["show", "1", "--text"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "grandmother seen.\tOK\n" in out  # the text keeps its lines and tabs
