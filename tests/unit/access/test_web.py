"""The web pages through TestClient: the session cookie, CSRF, the same access rules."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from catalog.models_access import WebSession
from tests.unit.access.conftest import PASSWORD, World


def _login(client: TestClient, username: str) -> str:
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": "/search"}
    )
    assert answer.status_code == 200, answer.text  # followed the redirect to the search page
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found is not None
    return found.group(1)


@pytest.fixture
def alice(world: World) -> TestClient:
    world.add_user("alice", "practitioner", ["team-a"])
    _login(world.client, "alice")
    return world.client


def test_pages_need_a_login_and_bad_passwords_fail(world: World) -> None:
    answer = world.client.get("/search?q=visit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    world.add_user("alice", "practitioner", ["team-a"])
    bad = world.client.post("/login", data={"username": "alice", "password": "nope"})
    assert bad.status_code == 401 and "wrong password" in bad.text
    nobody = world.client.post("/login", data={"username": "ghost", "password": PASSWORD})
    assert nobody.status_code == 401
    # The login never sends the browser to another site.
    _login(world.client, "alice")
    off_site = world.client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "//evil.test/"},
        follow_redirects=False,
    )
    assert off_site.headers["location"] == "/search"


def test_search_person_and_document_pages(world: World, alice: TestClient) -> None:
    page = alice.get("/search", params={"q": "grandmother"})
    assert "2 documents" in page.text and "<mark>grandmother</mark>" in page.text.lower()
    assert "Care plan" not in page.text  # Ben's, team B
    person = alice.get("/people/MOS1")
    assert "Ann Ash" in person.text and "PARIS:100" in person.text
    doc = alice.get(f"/documents/{world.ids['D1']}")
    assert "grandmother at the flat" in doc.text and "crosswalk" in doc.text
    content = alice.get(f"/documents/{world.ids['D1']}/content")
    assert content.headers["content-disposition"].startswith("inline")
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_another_teams_person_offers_break_glass(world: World, alice: TestClient) -> None:
    refused = alice.get("/people/MOS2")
    assert refused.status_code == 404 and "break-glass" in refused.text
    assert alice.get(f"/documents/{world.ids['D2']}").status_code == 404
    csrf = re.search(r'name="csrf" value="([^"]+)"', refused.text)
    assert csrf is not None
    forged = alice.post("/people/MOS2/break-glass", data={"csrf": "x", "reason": "a" * 20})
    assert forged.status_code == 403
    opened = alice.post(
        "/people/MOS2/break-glass",
        data={"csrf": csrf.group(1), "reason": "Police welfare call, out of hours", "minutes": 30},
    )
    assert opened.status_code == 200 and "Ben Birch" in opened.text
    assert "under break-glass" in opened.text


def test_consoles_are_for_their_roles(world: World, alice: TestClient) -> None:
    assert alice.get("/migration").status_code == 403
    assert alice.get("/ig").status_code == 403
    world.add_user("mig", "migration_officer", [])
    csrf = _login(world.client, "mig")
    queue = world.client.get("/migration/exceptions")
    assert "Letter about the allotment" in queue.text
    found = re.search(r"/migration/exceptions/(\d+)/link", queue.text)
    assert found is not None
    done = world.client.post(
        f"/migration/exceptions/{found.group(1)}/link",
        data={"csrf": csrf, "person_id": "MOS1", "note": "names Ann"},
    )
    assert "linked to MOS1" in done.text and "The queue is empty" in done.text
    assert "“Letter about the allotment” is now on Ann Ash&#39;s record." in done.text
    # The latest decisions read as labelled cards on a phone (the undo form made the table
    # 547 px wide at 390): the same markup as the other tables that do.
    recent = done.text.split('id="recent-heading"')[1]
    assert '<table class="cards">' in recent and '<td data-label="Undo">' in recent
    batches = world.client.get("/migration")
    batch = re.search(r'href="(/migration/batches/[^"]+)"', batches.text)
    assert batch is not None
    chart = world.client.get(batch.group(1))
    assert "<svg" in chart.text and "Rows by state" in chart.text

    world.add_user("ig1", "ig_officer", [])
    _login(world.client, "ig1")
    report = world.client.get("/ig", params={"person": "MOS1"})
    assert "link change" in report.text and "mig" in report.text


def test_the_login_is_committed_before_the_redirect_is_sent(world: World) -> None:
    """A browser follows the redirect at once; its session must already be in the catalog.

    Drives the ASGI app by hand so the check runs at the moment the response starts."""
    world.add_user("alice", "practitioner", ["team-a"])
    body = urlencode({"username": "alice", "password": PASSWORD, "next": "/search"}).encode()
    sessions_at_response_start: list[int] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 303
            with world.session() as session:
                count = session.scalar(select(func.count()).select_from(WebSession))
                sessions_at_response_start.append(count or 0)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/login",
        "raw_path": b"/login",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    # A thread of its own: Playwright's sync API may have left an event loop on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, world.client.app(scope, receive, send)).result()
    assert sessions_at_response_start == [1]


# The document page's viewer: the search's words carried from the results to the document and
# marked in its text; plain words where no readable copy is made yet.
def test_search_results_carry_the_query_to_the_document(world: World, alice: TestClient) -> None:
    page = alice.get("/search", params={"q": 'grandmother "home visit"'})
    links = re.findall(r'<h3><a href="(/documents/\d+[^"]*)"', page.text)
    assert links, page.text
    target = f"/documents/{world.ids['D1']}?q=grandmother%20%22home%20visit%22"
    assert target in [html.unescape(link) for link in links]


def test_the_documents_text_marks_the_searchs_words(world: World, alice: TestClient) -> None:
    page = alice.get(f"/documents/{world.ids['D1']}", params={"q": "grandmothers visits"})
    assert page.status_code == 200
    body = page.text
    assert "<mark>grandmother</mark>" in body and "<mark>visit</mark>" in body
    # The stems go to the viewer too, for pdf.js to mark the same words on the pages.
    assert "This file type" not in body
    unmarked = alice.get(f"/documents/{world.ids['D1']}").text
    assert "<mark>" not in unmarked


def test_no_readable_copy_yet_says_so_and_offers_the_original_and_text(
    world: World,
    alice: TestClient,
) -> None:
    body = alice.get(f"/documents/{world.ids['D1']}").text
    assert "is not made yet" in body
    assert f'href="/documents/{world.ids["D1"]}/content?download=true"' in body
    assert "Ann was seen with her grandmother" in body
    assert 'id="pdf-viewer"' not in body and "viewer.js" not in body


def test_a_query_with_markup_is_escaped(world: World, alice: TestClient) -> None:
    body = alice.get(f"/documents/{world.ids['D1']}", params={"q": '<img src=x onerror=1>"'}).text
    assert "<img src=x" not in body


def test_a_search_that_finds_nothing_says_what_to_try(world: World, alice: TestClient) -> None:
    """'No documents found' alone left a practitioner guessing: spelling, filters, or a person
    out of their team's reach."""
    page = alice.get("/search", params={"q": "zzqqxx"})
    assert "No documents found." in page.text and "try fewer words" in page.text
    assert 'href="/people"' in page.text and "without the filters" not in page.text
    filtered = alice.get("/search", params={"q": "zzqqxx", "type": "assessment"})
    assert 'href="/search?q=zzqqxx">search again without the filters' in filtered.text


def test_dates_the_wrong_way_round_are_refused_with_the_form_kept(
    world: World, alice: TestClient
) -> None:
    """From after To ran a search on an empty range and said only 'No documents found.'"""
    params = {"q": "grandmother", "date_from": "2022-01-01", "date_to": "2015-01-01"}
    page = alice.get("/search", params=params)
    assert page.status_code == 422 and "The From date is after the To date" in page.text
    assert 'value="2022-01-01"' in page.text and 'value="grandmother"' in page.text
