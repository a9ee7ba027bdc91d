"""Papercuts a new user hit (issue 12, section 6): unknown filter values, terminal search output,
`| head`, `escr user list`, `escr batches`, a user without a password, help text, the demo's
users without the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog import access as rows
from catalog.db import session_factory
from cli.commands import BOLD_UNDERLINE, RESET, terminal_snippet
from cli.main import main
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
