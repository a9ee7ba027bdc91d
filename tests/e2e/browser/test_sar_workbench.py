"""The subject access workbench in headless Chromium under the server's own CSP (issue 15): an
IG officer registers a request (the person picked with the finder), collates it, includes the
candidate, has redactions suggested and decides them, redacts a name as serious harm, which she
may not sign off herself; a second officer signs it off and releases the bundle, and the PDF
downloaded holds none of the redacted names. Every page is checked by axe-core and shot at
desktop and phone widths (artifacts/screenshots/ig-sar-*.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import Browser, expect

from domain.redaction import contains_any, fold
from tests.e2e.browser.conftest import AXE, Site, _ensure_browser_deps
from tests.e2e.browser.test_ig_workbench import DESKTOP, WATCH_CSP, Tab, log_in
from tests.factories.sar_archive import NEIGHBOUR, SUBJECT, UNCLE, write_sar_archive
from tests.factories.served import add_user, clean_env, escr, serving

pytestmark = pytest.mark.slow
SERIOUS_HARM = "Sch3 Pt3 para 11 serious harm"
THIRD_PARTY = "Sch2 Pt3 third party"
BUILD_TIMEOUT = 240_000  # ms: rendering, burning and the gate's OCR on a busy two-core box


@pytest.fixture(scope="module")
def sar_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _ensure_browser_deps()
    base = tmp_path_factory.mktemp("sar-browser")
    env = clean_env(base / "var")
    manifest = write_sar_archive(base / "archive")
    escr(env, "load", str(manifest), "--people", str(manifest.parent / "people.csv"), "--quiet")
    escr(env, "render", "--quiet")  # as after any load: the review page draws the pages
    add_user(env, "ig1", ["ig_officer"])
    add_user(env, "ig2", ["ig_officer"])
    with serving(env) as (url, _):
        yield Site(url=url, people=[])


@pytest.fixture(scope="module")
def sar_browser(sar_site: Site, shared_chromium: Browser) -> Browser:
    return shared_chromium


@pytest.fixture
def tab(sar_browser: Browser) -> Iterator[Tab]:
    # No bypass_csp: the pages must work under the CSP the server sends.
    context = sar_browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.add_init_script(WATCH_CSP)
    context.add_init_script(path=str(AXE))
    opened = Tab(context.new_page())
    opened.page.on("console", lambda message: opened.console.append(message))
    yield opened
    context.close()


def _register(tab: Tab, site: Site) -> str:
    page = tab.page
    page.goto(site.url + "/ig")
    page.get_by_role("navigation", name="Governance").get_by_role(
        "link", name="Subject access"
    ).click()
    expect(page.get_by_role("heading", name="Subject access requests", level=1)).to_be_visible()
    tab.check("sar-list-empty")
    page.get_by_role("link", name="Register a request").click()
    page.get_by_label("Find by name, date of birth").fill("Jane Smith")
    page.get_by_role("button", name="Find the person").click()
    page.get_by_label(re.compile(rf"Jane Smith \({SUBJECT}\)")).check()
    page.get_by_label("Received on").fill(date.today().isoformat())
    page.get_by_label("How it arrived").select_option("letter")
    page.get_by_label("Evidence of identity seen").fill("Passport seen at reception")
    tab.check("sar-register")
    page.get_by_role("button", name="Register the request").click()
    expect(page.get_by_role("status")).to_contain_text("registered: due")
    tab.check("sar-request-new")
    return page.url.split("#")[0]


def _review_suggestions(tab: Tab, request_url: str) -> None:
    """Accept the neighbour wherever he is suggested; reject every other suggestion."""
    page = tab.page
    links = page.locator("table.sar-items a[href*='/documents/']")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(targets) == 4
    shot = False
    for href in targets:
        page.goto(request_url.rsplit("/ig/", 1)[0] + str(href))
        while page.locator("#suggestions .redaction").count():
            card = page.locator("#suggestions .redaction").first
            term = card.locator("strong").first.inner_text().strip("“”")
            if fold(term).chars == fold(NEIGHBOUR).chars and not shot:
                tab.check("sar-review-suggestions")
                shot = True
            keep = fold(term).chars == fold(NEIGHBOUR).chars
            card.get_by_label("Reason (for the redaction log)").fill(
                "the neighbour who rang" if keep else "not third-party information"
            )
            button = "Accept: redact every occurrence" if keep else "Reject: leave it in"
            card.get_by_role("button", name=button).click()
            expect(page.get_by_role("status")).to_contain_text("accepted" if keep else "rejected")
    assert shot, "the neighbour was never suggested"


def test_register_review_sign_off_and_release(tab: Tab, sar_site: Site, tmp_path: Path) -> None:
    page = tab.page
    log_in(page, sar_site, "ig1")
    request_url = _register(tab, sar_site)

    page.get_by_role("button", name="Collate everything on the person").click()
    expect(page.get_by_role("status")).to_contain_text("3 documents included, 1 candidates")
    candidate = page.locator(".alert-card", has_text="Case note on Tom")
    expect(candidate).to_contain_text("mentions the person")
    tab.check("sar-collated")
    candidate.get_by_label("Why (kept with the decision)").fill("Tom's note is about Jane too")
    candidate.get_by_role("button", name="Include in the bundle").click()
    expect(page.get_by_role("status")).to_contain_text("included")

    page.get_by_role("button", name="Suggest redactions of third-party information").click()
    expect(page.get_by_role("status")).to_contain_text("redactions suggested in 4 documents")
    expect(page.locator("#bundle")).to_contain_text("cannot be built yet")
    _review_suggestions(tab, request_url)

    page.goto(request_url)
    page.locator("table.sar-items").get_by_role("link", name="Care plan").click()
    page.get_by_label("Words to redact").fill(UNCLE)
    page.get_by_label("Exemption code", exact=True).select_option(SERIOUS_HARM)
    page.get_by_label("Reason (for the redaction log)").fill("Jane fears him knowing she spoke")
    page.get_by_role("button", name="Redact", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("redacted wherever it occurs")
    expect(page.locator("#redactions")).to_contain_text("pending: a second officer, not ig1")
    expect(page.locator("mark.mark-accepted", has_text=UNCLE)).to_be_visible()

    # An area of the page, dragged on the page drawn by pdf.js: the numbers follow the mouse.
    expect(page.locator("#box-picker")).to_have_attribute("data-state", "ready")
    overlay = page.locator("canvas.box-overlay")
    overlay.evaluate("element => element.scrollIntoView({block: 'start'})")
    area = overlay.bounding_box()  # the page is taller than the window: drag near its top
    assert area is not None
    left, top = area["x"] + 40, area["y"] + 100
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move(left + 200, top + 60, steps=5)
    page.mouse.up()
    expect(page.locator(".box-status")).to_contain_text("Area chosen")
    assert float(page.get_by_label("Width", exact=True).input_value()) > 50
    assert float(page.get_by_label("From the top", exact=True).input_value()) > 50
    page.get_by_label("Exemption code for the area").select_option(THIRD_PARTY)
    page.get_by_label("Reason for the area (for the redaction log)").fill("a neighbour's signature")
    page.get_by_role("button", name="Redact this area").click()
    expect(page.get_by_role("status")).to_contain_text("An area of page 1 redacted")
    expect(page.locator("#redactions")).to_contain_text("an area of page 1")
    tab.check("sar-review-decided")

    # The proposer is offered no sign-off; a second officer gives it.
    page.goto(request_url + "#signoff")
    signoff = page.locator("#signoff")
    expect(signoff).to_contain_text("You cannot: you made or accepted it")
    assert signoff.locator("input[type=checkbox]").count() == 0
    tab.check("sar-signoff-proposer")
    log_in(page, sar_site, "ig2")
    page.goto(request_url + "#signoff")
    page.get_by_label(re.compile(r"Sign off redaction \d+")).check()
    page.get_by_role("button", name="Sign off the ticked redactions").click()
    expect(page.get_by_role("status")).to_contain_text("1 redactions signed off by ig2")

    page.get_by_role("button", name="Build and release the bundle").click()
    expect(page.get_by_role("status")).to_contain_text("The bundle is being built")
    tab.check("sar-building")
    # The page's script asks until the build is done, then shows the page again.
    expect(page.locator("#bundle-result")).to_contain_text(
        "The release gate found no redacted term", timeout=BUILD_TIMEOUT
    )
    tab.check("sar-released")
    with page.expect_download() as download:
        page.get_by_role("link", name="bundle.pdf").click()
    pdf = pdfium.PdfDocument(download.value.path())
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert len(pdf) >= 6  # covering letter, index, four documents, log, glossary
    assert contains_any(text, [UNCLE, NEIGHBOUR]) == []
