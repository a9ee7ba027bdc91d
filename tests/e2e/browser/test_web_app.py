"""The web app in headless Chromium: log in, search, a person, a document, the exception
queue, and the access rules, each page checked by axe-core (no serious or critical issues)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import AXE, PASSWORD, SHOTS, Site

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)  # a cold Chromium on a 2-core machine can be slow
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # bypass_csp lets the test inject axe-core; the app's own pages run no inline script.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check_axe(page: Page, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
    assert not bad, f"{name}: {json.dumps(summary)}"


def log_in(page: Page, site: Site, username: str) -> None:
    page.goto(site.url + "/search")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    check_axe(page, "login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Search documents")).to_be_visible()


def test_practitioner_searches_opens_a_person_and_a_document(page: Page, site: Site) -> None:
    log_in(page, site, "alice")
    # Keyboard only: the first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("Search words").focus()
    page.keyboard.type("the")
    page.keyboard.press("Enter")
    results = page.get_by_role("heading", name=re.compile(r"\d+ documents?"))
    expect(results).to_be_visible()
    shot(page, "01-search")
    check_axe(page, "search")
    mine = {p["person_id"] for p in site.team_people(site.people[0]["team"])}
    shown = set(re.findall(r"/people/([A-Z0-9]+)", page.content()))
    assert shown and shown <= mine, "only the team's people appear in results"

    page.locator(".hit .meta a[href^='/people/']").first.click()
    expect(page.get_by_role("heading", name="Chronology")).to_be_visible()
    shot(page, "02-person")
    check_axe(page, "person")

    page.locator("table.chronology a").first.click()
    expect(page.get_by_role("heading", name="Extracted text")).to_be_visible()
    expect(page.get_by_role("heading", name="How it was linked")).to_be_visible()
    shot(page, "03-document")
    check_axe(page, "document")

    # A PDF opens in the viewer (pdf.js), its file fetched with the session cookie: the
    # rendition where made, else the PDF's own file (tests/e2e/browser/test_viewer.py has more).
    page.goto(site.url + "/search?q=discharge")
    page.locator(".hit h3 a").first.click()
    viewer = page.locator("#pdf-viewer")
    expect(viewer).to_have_attribute("data-state", "ready")
    expect(page.locator('.pdfViewer .page[data-loaded="true"] canvas').first).to_be_visible()
    src = viewer.get_attribute("data-src")
    answer = page.request.get(site.url + str(src))
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline")
    shot(page, "03b-pdf-viewer")
    check_axe(page, "pdf viewer")


def test_practitioner_cannot_reach_another_teams_person(
    page: Page, site: Site, glass_breaker: str
) -> None:
    log_in(page, site, glass_breaker)  # not alice: this test breaks glass, her others expect none
    team = site.people[0]["team"]
    other = next(p for p in site.people if p["team"] != team)
    page.goto(f"{site.url}/people/{other['person_id']}")
    expect(page.get_by_role("heading", name="No record you can open")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("break-glass"))).to_be_visible()
    shot(page, "04-refused")
    check_axe(page, "refused")
    # Searching for them finds only documents also on one of the team's people (siblings,
    # family assessments): nothing of theirs alone, and no count of it.
    page.goto(f"{site.url}/search?person={other['person_id']}&q=the")
    mine = [p["person_id"] for p in site.team_people(team)]
    for meta in page.locator(".hit .meta").all_inner_texts():
        assert any(person_id in meta for person_id in mine), meta
    # Break-glass with a reason opens the record, and IG sees the alert.
    page.goto(f"{site.url}/people/{other['person_id']}")
    page.get_by_label("Reason").fill("Police welfare check out of hours")
    page.get_by_role("button", name="Open the record").click()
    expect(page.get_by_text("under break-glass")).to_be_visible()


def test_migration_officer_resolves_an_exception(page: Page, site: Site) -> None:
    log_in(page, site, "mig")
    page.get_by_role("link", name="Migration", exact=True).click()
    expect(page.get_by_role("heading", name="Migration console")).to_be_visible()
    check_axe(page, "migration")
    page.locator("table a[href^='/migration/batches/']").first.click()
    expect(page.locator("figcaption", has_text="Rows by state")).to_be_visible()
    shot(page, "05-batch")
    check_axe(page, "batch")

    page.goto(site.url + "/migration/exceptions")
    first = page.locator("section.exception").first
    title = first.locator("h2").inner_text()
    shot(page, "06-exceptions")
    check_axe(page, "exceptions")
    # The person is found by the finder (an ID, a name, a date of birth), never typed as an ID.
    first.get_by_label("Find a person").fill(site.people[0]["person_id"])
    first.get_by_role("button", name="Find").click()
    first = page.locator("section.exception", has_text=title).first
    person = site.people[0]["person_id"]
    first.locator(f"input[name=person_id][value='{person}']").check()
    first.get_by_role("button", name="Link this document").click()
    expect(page.get_by_role("status")).to_contain_text(f"linked to {site.people[0]['person_id']}")
    assert title not in [h.inner_text() for h in page.locator("section.exception h2").all()]
    shot(page, "07-resolved")


def test_ig_officer_reads_who_looked_at_a_record(page: Page, site: Site) -> None:
    log_in(page, site, "ig1")
    page.get_by_role("link", name="Governance").click()
    page.get_by_label(re.compile("person ID")).fill(site.people[0]["person_id"])
    page.get_by_role("button", name="Show the audit report").click()
    expect(page.get_by_role("heading", name=re.compile(r"\d+ events? for"))).to_be_visible()
    expect(page.locator("main table")).to_contain_text("alice")
    shot(page, "08-audit")
    check_axe(page, "audit")
