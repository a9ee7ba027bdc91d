"""The document viewer in headless Chromium with the app's CSP enforced: a PDF, a multi-page
fax TIFF, a Word 97-2003 .doc and an email, each loaded and rendered by escr (`escr load`,
`escr render`), reached from a search, shown page by page by pdf.js with the search's word
marked, paged by jump and keys, and checked by axe-core, with no CSP violation in the console."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect

from tests.e2e.browser.conftest import (
    AXE,
    PASSWORD,
    SHOTS,
    _ensure_browser_deps,
)
from tests.e2e.browser.test_web_app import WCAG_TAGS
from tests.e2e.browser.viewer_archive import KEYWORD, LONG_PAGES, TEAM, make_archive
from tests.factories.served import add_user, clean_env, escr, serving

pytestmark = pytest.mark.slow
expect.set_options(timeout=30_000)  # pdf.js's first page on a cold 2-core machine
KINDS = ["PDF1", "TIF1", "DOC1", "EML1"]
# Records a CSP violation in the page (a worker's shows in the console instead).
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@dataclass
class Tab:
    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_no_csp_violation(self) -> None:
        csp = [m.text for m in self.console if "Content Security Policy" in m.text]
        assert not csp, csp
        assert self.page.evaluate("window.__csp") == []
        assert not self.errors, self.errors
        # Nothing fails to load (the pages name their icon: no /favicon.ico 404 either).
        failed = [m.location.get("url", "") for m in self.console if m.type == "error"]
        assert not failed, [m.text for m in self.console if m.type == "error"]


@pytest.fixture(scope="module")
def viewer_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _ensure_browser_deps()
    base = tmp_path_factory.mktemp("viewer")
    env = clean_env(base / "var")
    root = make_archive(base / "archive")
    people = str(root / "people.csv")
    escr(env, "load", str(root / "manifest.csv"), "--people", people, "--workers", "1", "--quiet")
    made = json.loads(escr(env, "render", "--quiet").stdout.strip().splitlines()[-1])
    assert made["failed"] == 0, made
    escr(env, "allocate", "--file", people)
    add_user(env, "reader", ["practitioner"], [TEAM])
    with serving(env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def chromium(viewer_site: str, shared_chromium: Browser) -> Browser:
    return shared_chromium


def _tab(chromium: Browser, width: int) -> Iterator[Tab]:
    # No bypass_csp: the viewer must work under the CSP the app sends.
    context = chromium.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(RECORD_CSP)
    tab = Tab(context.new_page())
    tab.page.on("console", lambda message: tab.console.append(message))
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


@pytest.fixture
def tab(chromium: Browser) -> Iterator[Tab]:
    yield from _tab(chromium, 1280)


@pytest.fixture
def narrow_tab(chromium: Browser) -> Iterator[Tab]:
    yield from _tab(chromium, 400)


def log_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def open_from_search(page: Page, url: str, source_id: str) -> None:
    """Search for the keyword and open the hit for `source_id` (its meta line names it)."""
    page.goto(f"{url}/search?q={KEYWORD}")
    hit = page.locator(".hit").filter(has_text=re.compile(rf"PARIS {source_id}\b"))
    expect(hit).to_have_count(1)
    hit.locator("h3 a").click()
    expect(page).to_have_url(re.compile(rf"/documents/\d+\?q={KEYWORD}$"))


def current_page(page: Page) -> tuple[int, int]:
    status = page.locator(".viewer-status")
    expect(status).to_have_text(re.compile(r"^Page \d+ of \d+"))
    found = re.match(r"Page (\d+) of (\d+)", status.inner_text())
    assert found is not None
    return int(found.group(1)), int(found.group(2))


def rendered(page: Page, number: int) -> Locator:
    """Page `number`'s canvas once pdf.js has drawn it."""
    view = page.locator(f'.pdfViewer .page[data-page-number="{number}"]')
    expect(view).to_have_attribute("data-loaded", "true")
    canvas = view.locator("canvas").first
    expect(canvas).to_be_visible()
    return canvas


def ink(canvas: Locator) -> float:
    """The share of the canvas's pixels that are dark: what a person sees drawn on it."""
    canvas.scroll_into_view_if_needed()
    image = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
    histogram = image.histogram()  # pixels per grey level, 0 (black) to 255 (white)
    return sum(histogram[:128]) / (image.width * image.height)


def check_axe(page: Page, name: str) -> None:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern; an inline
    # <script> tag (add_script_tag) would be refused, as it should be.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    summary = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]
    ]
    assert not result["violations"], f"{name}: {json.dumps(summary)}"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("source_id", KINDS)
def test_each_type_opens_in_the_viewer_at_the_searchs_word(
    tab: Tab, viewer_site: str, source_id: str
) -> None:
    page = tab.page
    log_in(page, viewer_site)
    open_from_search(page, viewer_site, source_id)
    expect(page.locator("#pdf-viewer")).to_have_attribute("data-state", "ready")

    # The viewer opens at the page holding the search's word, drawn, with the word marked.
    highlight = page.locator(".textLayer .highlight").first
    expect(highlight).to_be_visible()
    assert KEYWORD in highlight.inner_text().lower()
    number, pages = current_page(page)
    assert pages >= 2, "each test file runs past one page"
    assert number > 1, "the word is past the first page"
    holder = highlight.locator("xpath=ancestor::div[contains(@class, 'page')][1]")
    assert holder.get_attribute("data-page-number") == str(number)
    assert 0.001 < ink(rendered(page, number)) < 0.5, "the page is drawn, and not all black"
    # The same word is marked in the extracted text beside the pages.
    expect(page.locator(".text-body mark").first).to_have_text(re.compile(KEYWORD, re.I))
    shot(page, f"viewer-{source_id}")

    # Page jump: the number field, then the buttons, then the keys in the pages.
    page.get_by_label("Page", exact=True).fill("1")
    page.get_by_label("Page", exact=True).press("Enter")
    expect(page.locator(".viewer-status")).to_have_text(re.compile(rf"^Page 1 of {pages}\."))
    assert ink(rendered(page, 1)) > 0.001
    page.get_by_role("button", name="Next page").click()
    expect(page.locator(".viewer-status")).to_have_text(re.compile(rf"^Page 2 of {pages}\."))
    page.locator(".pdf-pages").focus()
    page.keyboard.press("End")
    expect(page.locator(".viewer-status")).to_have_text(re.compile(rf"^Page {pages} of {pages}\."))
    assert ink(rendered(page, pages)) > 0.001
    page.keyboard.press("PageUp")
    expect(page.locator(".viewer-status")).to_have_text(
        re.compile(rf"^Page {pages - 1} of {pages}\.")
    )

    check_axe(page, f"viewer {source_id}")
    tab.assert_no_csp_violation()


def test_the_ocr_text_of_a_scan_follows_its_page(tab: Tab, viewer_site: str) -> None:
    page = tab.page
    log_in(page, viewer_site)
    open_from_search(page, viewer_site, "TIF1")
    expect(page.locator(".textLayer .highlight").first).to_be_visible()  # at the word's page
    number, _ = current_page(page)
    beside = page.locator(".text-page.current")
    expect(beside).to_have_attribute("data-page", str(number))
    expect(beside).to_contain_text(KEYWORD)
    page.get_by_role("button", name="Next page").click()
    expect(page.locator(".text-page.current")).to_have_attribute("data-page", str(number + 1))
    expect(page.locator(".text-page.current")).to_contain_text("Outcome and plan")
    tab.assert_no_csp_violation()


def test_zoom_by_buttons_and_keys(tab: Tab, viewer_site: str) -> None:
    page = tab.page
    log_in(page, viewer_site)
    open_from_search(page, viewer_site, "PDF1")
    expect(page.locator("#pdf-viewer")).to_have_attribute("data-state", "ready")
    level = page.locator("#zoom-level")
    expect(level).not_to_have_text("100%")  # fitted to the width, not left at 100%
    fitted = int(level.inner_text().rstrip("%"))
    view = page.locator('.pdfViewer .page[data-page-number="1"]')
    width = view.bounding_box()["width"]  # type: ignore[index]
    page.get_by_role("button", name="Zoom in").click()
    expect(level).not_to_have_text(f"{fitted}%")
    assert int(level.inner_text().rstrip("%")) > fitted
    assert view.bounding_box()["width"] > width  # type: ignore[index]
    page.locator(".pdf-pages").focus()
    page.keyboard.press("0")
    expect(level).to_have_text(f"{fitted}%")
    page.keyboard.press("-")
    expect(level).not_to_have_text(f"{fitted}%")
    assert int(level.inner_text().rstrip("%")) < fitted
    tab.assert_no_csp_violation()


def test_a_long_pdf_opens_without_drawing_every_page(tab: Tab, viewer_site: str) -> None:
    page = tab.page
    log_in(page, viewer_site)
    page.goto(f"{viewer_site}/search?q=chronology")
    page.locator(".hit h3 a").first.click()
    expect(page.locator("#pdf-viewer")).to_have_attribute("data-state", "ready")
    assert current_page(page) == (1, LONG_PAGES)
    rendered(page, 1)
    drawn = page.locator('.pdfViewer .page[data-loaded="true"]').count()
    assert drawn < 10, f"{drawn} of {LONG_PAGES} pages drawn on opening"
    page.get_by_label("Page", exact=True).fill("150")
    page.get_by_label("Page", exact=True).press("Enter")
    assert current_page(page) == (150, LONG_PAGES)
    assert ink(rendered(page, 150)) > 0.001
    tab.assert_no_csp_violation()


@pytest.mark.parametrize("source_id", ["PDF1", "TIF1", "EML1"])
def test_the_viewer_at_a_phones_width(narrow_tab: Tab, viewer_site: str, source_id: str) -> None:
    page = narrow_tab.page
    log_in(page, viewer_site)
    open_from_search(page, viewer_site, source_id)
    expect(page.locator("#pdf-viewer")).to_have_attribute("data-state", "ready")
    number, _ = current_page(page)
    # Drawn, not blank (a blank canvas has no ink): the email's last page is three short
    # lines, under 0.1% of a phone-width canvas.
    assert ink(rendered(page, number)) > 0.0002
    # Nothing wider than the screen: the page scrolls down, never sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    shot(page, f"viewer-{source_id}-narrow")
    check_axe(page, f"viewer {source_id} narrow")
    narrow_tab.assert_no_csp_violation()
