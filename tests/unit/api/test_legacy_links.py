"""Old document links after migration: a migrated, a quarantined and an unknown document, by
`?url=` and by the old path under /legacy/, matched however the link was written; the login
round trip, and no open redirect."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import pytest
from sqlalchemy import select

from catalog.models import AuditEvent, LedgerRow
from catalog.models_legacy_links import LegacyLink
from domain.legacy_urls import legacy_url_key
from tests.unit.access.conftest import PASSWORD, World
from tests.unit.api.cms_world import OLD, cms_world, old_link
from tests.unit.web.conftest import log_in

__all__ = ["cms_world"]


@pytest.mark.parametrize(
    ("written", "given"),
    [
        ("HTTPS://ESCR.Old.Example:443/docs/view.aspx/?id=D1&sys=paris#top", old_link("D1")),
        ("http://escr.old.example/docs/view.aspx?id=D1&sys=paris", old_link("D1")),
        ("escr.old.example/docs/%76iew.aspx?sys=paris&id=D1", old_link("D1")),
    ],
)
def test_links_written_differently_have_one_key(written: str, given: str) -> None:
    assert legacy_url_key(written) == legacy_url_key(given)


@pytest.mark.parametrize(
    "other",
    [
        old_link("d1"),  # IDs are case-sensitive
        "https://escr.old.example/DOCS/view.aspx?sys=paris&id=D1",  # so are paths
        "https://escr.other.example/docs/view.aspx?sys=paris&id=D1",  # another host
        "https://escr.old.example:8443/docs/view.aspx?sys=paris&id=D1",  # another port
    ],
)
def test_links_to_other_things_keep_their_own_key(other: str) -> None:
    assert legacy_url_key(other).full != legacy_url_key(old_link("D1")).full


def test_a_migrated_document_answers_308_to_its_deep_link_which_opens_the_viewer(
    cms_world: World,
) -> None:
    world = cms_world
    world.add_user("rita", "migration_officer", [])
    log_in(world.client, "rita")
    d1 = world.ids["D1"]
    written = "HTTP://escr.OLD.example/docs/view.aspx/?id=D1&sys=paris"
    answer = world.client.get("/legacy", params={"url": written}, follow_redirects=False)
    assert answer.status_code == 308
    assert answer.headers["location"] == f"/link/documents/{d1}"
    by_path = world.client.get("/legacy/docs/view.aspx?id=D2&sys=paris", follow_redirects=False)
    assert by_path.status_code == 308
    assert by_path.headers["location"] == f"/link/documents/{world.ids['D2']}"
    deep = world.client.get(f"/link/documents/{d1}", follow_redirects=False)
    assert deep.status_code == 303 and deep.headers["location"] == f"/documents/{d1}"
    viewer = world.client.get(answer.headers["location"])
    assert viewer.status_code == 200 and "Home visit" in viewer.text


def test_a_quarantined_and_an_unknown_document_say_why_not(cms_world: World) -> None:
    world = cms_world
    world.add_user("rita", "migration_officer", [])
    log_in(world.client, "rita")
    lost = world.client.get("/legacy", params={"url": old_link("Q1")}, follow_redirects=False)
    assert lost.status_code == 404
    assert "This document was not migrated" in lost.text
    assert 'data-state="quarantined"' in lost.text and "File not found" in lost.text
    assert "PARIS Q1" in lost.text
    unknown = world.client.get(
        "/legacy", params={"url": f"{OLD}?sys=paris&id=NOPE"}, follow_redirects=False
    )
    assert unknown.status_code == 404 and 'data-state="unknown"' in unknown.text
    assert "location" not in unknown.headers


def test_no_old_link_redirects_off_site(cms_world: World) -> None:
    world = cms_world
    world.add_user("rita", "migration_officer", [])
    log_in(world.client, "rita")
    for url in (
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "/\\evil.example",
    ):
        answer = world.client.get("/legacy", params={"url": url}, follow_redirects=False)
        assert answer.status_code in (400, 404), url
        assert "location" not in answer.headers


def test_signed_out_the_link_goes_to_login_and_back_to_the_same_place(cms_world: World) -> None:
    world = cms_world
    world.add_user("rita", "migration_officer", [])
    world.client.cookies.clear()
    target = "/legacy?url=" + quote(old_link("D1"), safe="")
    answer = world.client.get(target, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    form = world.client.get(answer.headers["location"])
    next_value = form.text.split('name="next" value="', 1)[1].split('"', 1)[0]
    back = world.client.post(
        "/login",
        data={"username": "rita", "password": PASSWORD, "next": next_value.replace("&amp;", "&")},
        follow_redirects=False,
    )
    assert back.status_code == 303
    again = world.client.get(back.headers["location"], follow_redirects=False)
    assert again.status_code == 308
    assert again.headers["location"] == f"/link/documents/{world.ids['D1']}"


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example"])
def test_the_login_never_returns_off_site(cms_world: World, target: str) -> None:
    world = cms_world
    world.add_user("rita", "migration_officer", [])
    world.client.cookies.clear()
    back = world.client.post(
        "/login",
        data={"username": "rita", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    location = back.headers["location"]
    # A path on this site: "/%5Cevil.example" (the backslash escaped) is one; a raw "/\\"
    # is read as "//" by browsers.
    assert back.status_code == 303 and location.startswith("/")
    assert not location.startswith("//") and "\\" not in location


def test_the_load_keys_the_old_links_before_anyone_follows_one(cms_world: World) -> None:
    with cms_world.session() as session:
        with_links = session.scalars(
            select(LedgerRow.id).where(LedgerRow.legacy_url.is_not(None))
        ).all()
        keyed = session.scalars(select(LegacyLink.ledger_id)).all()
    assert len(with_links) == 3 and sorted(keyed) == sorted(with_links)


def test_an_old_link_outside_the_callers_access_answers_as_an_unknown_one(
    cms_world: World,
) -> None:
    """Not allowed looks like not found: a team-B practitioner following an old link to a
    team-A document got a 308 naming its escr ID (an unknown link is a 404). Now the answer is
    the unknown one's; the audit keeps the truth."""
    world = cms_world
    world.add_user("bbrown", "practitioner", ["team-b"])
    log_in(world.client, "bbrown")
    ann = old_link("D1")  # Ann's home visit, team A
    nobody = f"{OLD}?sys=paris&id=NOPE"
    theirs = world.client.get("/legacy", params={"url": ann}, follow_redirects=False)
    unknown = world.client.get("/legacy", params={"url": nobody}, follow_redirects=False)
    assert theirs.status_code == unknown.status_code == 404
    assert "location" not in theirs.headers
    assert _without(theirs.text, ann) == _without(unknown.text, nobody)
    by_path = world.client.get("/legacy/docs/view.aspx?id=D1&sys=paris", follow_redirects=False)
    assert by_path.status_code == 404 and 'data-state="unknown"' in by_path.text
    # Ben's own old link still leads to his document.
    own = world.client.get("/legacy", params={"url": old_link("D2")}, follow_redirects=False)
    assert own.status_code == 308
    with world.session() as session:
        looks = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "legacy_link", AuditEvent.actor == "bbrown"
            )
        ).all()
        hidden = [e.detail.get("hidden") for e in looks]
        assert [world.ids["D1"]] in hidden


def _without(page: str, url: str) -> str:
    """A page with the URL it echoes taken out, however it was written into it."""
    for written in (escape(url), quote(url, safe=""), url):
        page = page.replace(written, "")
    return page
