"""The migration console's drill-down in headless Chromium (issue 12, section 3): a batch's bar
leads to its rows and on to a document, the row CSV downloads, the batch's open exceptions lead
to the queue filtered by batch, and a chronology shows where each date came from; each page
checked by axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import Site
from tests.e2e.browser.test_web_app import check_axe, log_in, shot

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
LOCAL_TIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    yield context.new_page()
    context.close()


def test_a_bar_leads_to_its_rows_and_on_to_a_document(page: Page, site: Site) -> None:
    log_in(page, site, "mig")
    page.goto(site.url + "/migration")
    started = page.locator("main table time").first.inner_text()
    assert LOCAL_TIME.match(started), started
    shot(page, "20-migration-batches")
    check_axe(page, "migration batches")

    page.locator("table a[href^='/migration/batches/']").first.click()
    chart = page.locator("figure", has_text="Rows by state")
    bar = chart.get_by_role("link", name=re.compile(r"^\d+ rows: indexed$"))
    count = int(bar.inner_text().strip())
    shot(page, "21-batch-chart")
    check_axe(page, "batch chart")

    bar.click()
    expect(page.get_by_role("heading", name=re.compile("^Rows of batch"))).to_be_visible()
    summary = page.locator("main p").first
    expect(summary).to_contain_text(f"of {count}")
    expect(summary).to_contain_text("indexed")
    shot(page, "22-batch-rows")
    check_axe(page, "batch rows")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download every row of the batch as CSV").click()
    saved = download.value.path()
    header = saved.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("line_no,source_system,source_document_id,state,reason")

    page.locator("table.rows a[href^='/documents/']").first.click()
    expect(page.locator("dt", has_text="Date")).to_be_visible()
    shot(page, "23-document-date")
    check_axe(page, "document")


def test_a_batchs_open_exceptions_lead_to_its_queue(page: Page, site: Site) -> None:
    log_in(page, site, "mig")
    page.goto(site.url + "/migration")
    opened = page.locator("a[href^='/migration/exceptions?batch=']").first
    expect(opened).to_be_visible()
    count = int(re.sub(r"\D.*", "", opened.inner_text().strip()))
    opened.click()
    expect(page.get_by_role("heading", name="Exception queue")).to_be_visible()
    expect(page.locator("main p").first).to_contain_text(f"{count} open in batch")
    assert page.locator("section.exception").count() == count
    shot(page, "24-exceptions-by-batch")
    check_axe(page, "exceptions by batch")


def test_a_chronology_says_where_each_date_came_from(page: Page, site: Site) -> None:
    log_in(page, site, "alice")
    person = site.team_people(site.people[0]["team"])[0]["person_id"]
    page.goto(f"{site.url}/people/{person}")
    first = page.locator("table.chronology tbody tr td").first
    expect(first).to_contain_text(
        re.compile(r"\((from the \w+|from the email's Date header|no date found)\)")
    )
    shot(page, "25-chronology-provenance")
    check_axe(page, "chronology")
