"""/docs in headless Chromium: Swagger UI from the package, under the app's own CSP (no CDN,
no inline script), lists the operations, and Authorize sends the bearer token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import SHOTS, Site

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)  # the Swagger UI bundle is 1.5 MB for a cold Chromium
TOKEN = "dev-token"  # the service token of a server started without ESCR_ settings

# Collects every CSP violation the page reports, before any of its scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


@pytest.fixture
def docs(browser: Browser, site: Site) -> Iterator[tuple[Page, list[str]]]:
    # No bypass_csp: the point is that the page works under the CSP the server sends.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(site.url + "/docs")
    yield page, errors
    context.close()


def test_docs_lists_the_operations_under_the_csp(docs: tuple[Page, list[str]]) -> None:
    page, errors = docs
    expect(page.locator(".opblock-summary-path", has_text="/api/search").first).to_be_visible()
    assert page.locator(".opblock").count() > 10
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs.png"))
    assert page.evaluate("window.__violations") == []
    assert errors == []


def test_authorize_sends_the_bearer_token(docs: tuple[Page, list[str]]) -> None:
    page, errors = docs
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").fill(TOKEN)
    dialog.locator("button.authorize").click()
    dialog.get_by_role("button", name="Close").click()

    search = page.locator(
        ".opblock", has=page.locator(".opblock-summary-path", has_text="/api/search")
    )
    search.first.locator(".opblock-summary").click()
    search.first.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda r: "/api/search" in r.url) as answer:
        search.first.get_by_role("button", name="Execute", exact=True).click()
    assert answer.value.status == 200
    assert answer.value.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert page.evaluate("window.__violations") == []
    assert errors == []
