"""Links from a case note, in a real browser against `escr serve`: an old store's link to a
migrated letter signs the practitioner in and opens the letter in the viewer; a person's deep
link opens their chronology; an old link to a quarantined document says why it is not there.
Each page passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.test_web_app import check_axe, shot
from tests.factories.served import PASSWORD, add_user, clean_env, escr, serving
from tests.factories.teams import make_teams_archive
from tests.unit.api.cms_world import add_letters_and_old_links, old_link

pytestmark = pytest.mark.slow


@dataclass
class Served:
    url: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("cms_links")
    env = clean_env(base / "var")
    manifest = make_teams_archive(base / "archive")
    add_letters_and_old_links(manifest)
    escr(env, "load", str(manifest), "--people", str(manifest.parent / "people.csv"), "--quiet")
    escr(env, "allocate", "MOS1", "team-a")
    add_user(env, "alice", ["practitioner"], ["team-a"])
    with serving(env) as (url, _):
        yield Served(url)


@pytest.fixture
def page(shared_chromium: Browser) -> Iterator[Page]:
    # bypass_csp: axe-core is injected as an inline script (the app itself needs no bypass).
    context = shared_chromium.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_an_old_link_signs_in_and_opens_the_letter_then_the_persons_deep_link(
    page: Page, served: Served
) -> None:
    page.goto(served.url + "/legacy?url=" + quote(old_link("D1"), safe=""))
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    # Back to the old link, which answered 308 to the deep link, which opened the viewer.
    expect(page).to_have_url(re.compile(r"/documents/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Home visit"))).to_be_visible()
    check_axe(page, "document from an old link")
    page.goto(served.url + "/link/people/MOS1")
    expect(page).to_have_url(re.compile(r"/people/MOS1$"))
    expect(page.get_by_text("Home visit").first).to_be_visible()


def test_an_old_link_to_a_quarantined_document_says_why(page: Page, served: Served) -> None:
    page.goto(served.url + "/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.goto(served.url + "/legacy?url=" + quote(old_link("Q1"), safe=""))
    expect(page.get_by_role("heading", name="This document was not migrated")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("quarantined"))
    expect(row).to_contain_text("File not found")
    expect(row).to_contain_text("PARIS Q1")
    shot(page, "70-old-link-not-migrated")
    check_axe(page, "old link not migrated")
