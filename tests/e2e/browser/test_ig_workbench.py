"""The IG workbench in headless Chromium under the server's own CSP: navigation by role, a hold
placed after its preview and released into re-appraisal, a sweep the proposer may not review
and a second officer approves, the audit log filtered by actor and exported as CSV, and the
break-glass inbox. Every page is checked by axe-core and shot at desktop and phone widths."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect

from tests.e2e.browser.conftest import AXE, PASSWORD, SHOTS, Site

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)
# A CSP violation in the page, recorded where the test can read it.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@dataclass
class Tab:
    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)

    def check(self, name: str) -> None:
        """axe-core clean (no serious or critical issue), no CSP violation; shot at desktop
        and phone widths."""
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
        assert not bad, f"{name}: {json.dumps(summary)}"
        assert self.page.evaluate("window.__csp") == [], name
        csp = [m.text for m in self.console if "Content Security Policy" in m.text]
        assert not csp, csp
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(DESKTOP)
        self.page.screenshot(path=str(SHOTS / f"ig-{name}.png"), full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=str(SHOTS / f"ig-{name}-phone.png"), full_page=True)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: the page scrolls sideways on a phone ({width})"
        self.page.set_viewport_size(DESKTOP)


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    # No bypass_csp: the pages must work under the CSP the server sends. axe-core and the
    # CSP watcher come in as init scripts, which the page's CSP does not govern.
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.add_init_script(WATCH_CSP)
    context.add_init_script(path=str(AXE))
    opened = Tab(context.new_page())
    opened.page.on("console", lambda message: opened.console.append(message))
    yield opened
    context.close()


def log_in(page: Page, site: Site, username: str) -> None:
    page.context.clear_cookies()
    page.goto(site.url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def main_nav(page: Page) -> list[str]:
    return page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()


def test_navigation_offers_each_role_only_its_pages(tab: Tab, site: Site) -> None:
    expected = {
        "alice": ["Search", "Find a person"],
        "mig": ["Search", "Find a person", "Migration"],
        "ig1": ["Search", "Find a person", "Governance"],
    }
    for user, links in expected.items():
        log_in(tab.page, site, user)
        assert main_nav(tab.page) == links, user
        for label in links:
            with tab.page.expect_navigation():
                tab.page.get_by_role("navigation", name="Main").get_by_role(
                    "link", name=label, exact=True
                ).click()
            expect(tab.page.get_by_role("heading", level=1)).not_to_have_text(
                re.compile("Not allowed")
            )


def test_a_hold_is_previewed_placed_and_released(tab: Tab, site: Site) -> None:
    page = tab.page
    log_in(page, site, "ig1")
    page.goto(site.url + "/ig")
    tab.check("home")
    page.get_by_role("navigation", name="Governance").get_by_role("link", name="Holds").click()
    page.get_by_role("link", name="Place a new hold").click()
    person = site.people[0]["person_id"]
    page.get_by_label("Name", exact=True).fill("Complaint 118")
    page.get_by_label("Reason").select_option("complaint")
    page.get_by_label("Authority (who ordered it)").fill("Complaints team")
    page.get_by_label("People (person IDs, comma-separated)").fill(person)
    page.get_by_role("button", name="Preview what it catches").click()
    caught = page.get_by_role("heading", name=re.compile(r"This hold would catch \d+ document"))
    expect(caught).to_be_visible()
    count = int(re.findall(r"\d+", caught.inner_text())[0])
    assert count > 0
    tab.check("hold-preview")
    page.get_by_role("button", name="Place this hold").click()
    expect(page.get_by_role("status")).to_contain_text(f"it holds {count} documents now")
    tab.check("hold")
    page.get_by_label("Why it ends (kept in the audit log)").fill("Complaint closed")
    page.get_by_role("button", name="Release into re-appraisal").click()
    expect(page.get_by_role("heading", name=re.compile("Re-appraisal list"))).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Nothing was destroyed")
    tab.check("hold-released")


def test_a_sweep_is_reviewed_by_a_second_officer(tab: Tab, site: Site) -> None:
    page = tab.page
    log_in(page, site, "ig1")
    page.goto(site.url + "/ig/retention/schedule")
    expect(page.get_by_role("heading", name="Retention schedule")).to_be_visible()
    tab.check("schedule")
    page.goto(site.url + "/ig/retention")
    page.get_by_role("button", name="Sweep now").click()
    expect(page.get_by_role("status")).to_be_visible()
    if "/proposals/" not in page.url:
        pytest.fail(
            f"the demo archive has nothing due today: {page.get_by_role('status').inner_text()}"
        )
    expect(
        page.get_by_text("You proposed this disposal, so you cannot approve or reject it")
    ).to_be_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    tab.check("proposal-proposer")
    proposal = page.url
    log_in(page, site, "ig2")
    page.goto(proposal)
    page.get_by_label("Justification (kept with the decision)").fill("Past its period; checked")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved:")
    tab.check("proposal-approved")


def test_audit_log_filtered_by_actor_and_exported(tab: Tab, site: Site) -> None:
    page = tab.page
    log_in(page, site, "alice")
    page.goto(f"{site.url}/people/{site.people[0]['person_id']}")
    page.locator("table.chronology a").first.click()
    title = page.get_by_role("heading", level=1).inner_text()
    log_in(page, site, "ig1")
    page.goto(site.url + "/ig/audit")
    page.get_by_label("Who (user)").fill("alice")
    page.get_by_label("What").select_option("view")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_role("heading", name="1 event")).to_be_visible()
    expect(page.locator("table.audit")).to_contain_text(title)
    tab.check("audit")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download this")).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [r["actor"] for r in rows] == ["alice"] and title in rows[0]["target"]


def test_break_glass_lands_in_the_ig_inbox(tab: Tab, site: Site) -> None:
    page = tab.page
    # bob, not alice: a break-glass lasts an hour, and alice's own tests expect none.
    log_in(page, site, "bob")
    team = site.people[0]["team"]
    other = next(p for p in site.people if p["team"] != team)
    page.goto(f"{site.url}/people/{other['person_id']}")
    page.get_by_label("Reason").fill("Police welfare check out of hours")
    page.get_by_role("button", name="Open the record").click()
    log_in(page, site, "ig1")
    page.goto(site.url + "/ig")
    page.get_by_role("link", name="Break-glass alerts").first.click()
    card = page.locator(".alert-card.unreviewed", has_text="Police welfare check out of hours")
    expect(card.first).to_be_visible()
    tab.check("alerts")
    card.first.get_by_label("Review note").fill("Confirmed with the duty manager")
    card.first.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_role("status")).to_contain_text("reviewed")
