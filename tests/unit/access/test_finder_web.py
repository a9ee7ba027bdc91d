"""The person finder on the web pages: the search box goes to a person by an identifier, the
"Find a person" page, a team's caseload, all within the caller's access."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.unit.access.conftest import PASSWORD, World


@pytest.fixture
def alice(world: World) -> TestClient:
    world.add_user("alice", "practitioner", ["team-a"])
    answer = world.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 200
    return world.client


@pytest.mark.parametrize("typed", ["MOS1", "mos1", "PARIS 100", "100", "943 476 5919"])
def test_an_identifier_in_the_search_box_goes_to_the_person(alice: TestClient, typed: str) -> None:
    answer = alice.get("/search", params={"q": typed}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/people/MOS1"


def test_another_teams_identifier_searches_documents_as_before(alice: TestClient) -> None:
    # Ben (MOS2, PARIS 200) is team B's: no redirect, no name, the documents search answers.
    for typed in ("MOS2", "PARIS 200"):
        answer = alice.get("/search", params={"q": typed}, follow_redirects=False)
        assert answer.status_code == 200 and "Birch" not in answer.text, typed


def test_a_name_in_the_search_box_shows_the_person_beside_the_documents(
    alice: TestClient,
) -> None:
    page = alice.get("/search", params={"q": "ann ash"})
    assert 'href="/people/MOS1"' in page.text and "People named" in page.text
    assert "People named" not in alice.get("/search", params={"q": "ben birch"}).text


def test_find_a_person_page_and_caseload(alice: TestClient) -> None:
    landing = alice.get("/people")
    assert "caseload: 2 people" in landing.text
    assert re.findall(r'href="/people/(MOS\d)"', landing.text) == ["MOS1", "MOS3"]
    found = alice.get("/people", params={"q": "Cedar 03/03/2012"})
    assert "1 person found" in found.text and "name and date of birth" in found.text
    hidden = alice.get("/people", params={"q": "Birch"})
    assert "0 people found" in hidden.text and "MOS2" not in hidden.text
    search = alice.get("/search")
    assert "Your teams' caseload" in search.text and 'href="/people/MOS3"' in search.text


def test_the_queue_picker_is_the_migration_teams(world: World, alice: TestClient) -> None:
    assert alice.get("/migration/people.json", params={"q": "ann"}).status_code == 403
