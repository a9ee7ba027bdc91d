"""The migration console's drill-down in headless Chromium (issue 12, section 3): a batch's bar
leads to its rows and on to a document, the row CSV downloads, the batch's open exceptions lead
to the queue filtered by batch, and a chronology shows where each date came from; each page
checked by axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import Site
from tests.e2e.browser.test_web_app import check_axe, log_in, shot
from tests.factories.served import add_user, clean_env, escr, serving
from tests.factories.teams import make_teams_archive

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
LOCAL_TIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")


def _troubled_archive(root: Path) -> Path:
    """The teams archive, with rows that end in quarantine for several reasons and two
    assessments of Ann (born 2010-01-01) dated only in their text."""
    manifest = make_teams_archive(root)
    (root / "files" / "empty.txt").write_text("", encoding="utf-8")
    (root / "files" / "a1.txt").write_text(
        "Assessment\nName: Ann Ash\nDOB: 01/01/2010\nDate: 15/06/2019\nSeen at home.\n",
        encoding="utf-8",
    )
    (root / "files" / "a2.txt").write_text("Assessment of Ann, 01/01/2010.\n", encoding="utf-8")
    with manifest.open("a", encoding="utf-8") as handle:
        for n in range(1, 4):
            handle.write(f"PARIS,M{n},100,files/missing-{n}.txt,Lost {n},VISIT,,\n")
        handle.write("PARIS,E1,100,files/empty.txt,Empty,VISIT,,\n")
        handle.write("PARIS,X1,100,../outside.txt,Escape,VISIT,,\n")
        handle.write("PARIS,A1,100,files/a1.txt,Assessment (labelled DOB),ASSESS,,\n")
        handle.write("PARIS,A2,100,files/a2.txt,Assessment (DOB only),ASSESS,,\n")
    return manifest


@pytest.fixture(scope="module")
def troubled(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Iterator[str]:
    """A second server whose batch has quarantined rows (the synthetic one has none)."""
    base = tmp_path_factory.mktemp("troubled")
    env = clean_env(base / "var")
    manifest = _troubled_archive(base / "archive")
    people = str(manifest.parent / "people.csv")
    escr(env, "load", str(manifest), "--people", people, "--workers", "1", "--quiet")
    add_user(env, "mig", ["migration_officer"])
    with serving(env) as (url, _):
        yield url


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


def test_reasons_read_as_words_and_lead_to_their_rows(page: Page, troubled: str) -> None:
    log_in(page, Site(url=troubled, people=[]), "mig")
    page.goto(troubled + "/migration")
    page.locator("table a[href^='/migration/batches/']").first.click()
    reasons = page.locator("figure", has_text="rows by reason")
    expect(reasons.get_by_role("link", name="File not found", exact=True)).to_be_visible()
    expect(reasons.get_by_role("link", name="Empty file", exact=True)).to_be_visible()
    shot(page, "26-batch-reasons")
    check_axe(page, "batch reasons")
    reasons.get_by_role("link", name="3 rows: File not found").click()
    expect(page.locator("main p").first).to_contain_text("rows 1–3 of 3")
    expect(page.locator("table.rows tbody tr")).to_have_count(3)
    expect(page.locator("table.rows")).to_contain_text("missing-1.txt")
    shot(page, "27-rows-missing-file")
    check_axe(page, "rows missing file")

    page.goto(troubled + "/people/MOS1")
    chronology = page.locator("table.chronology")
    expect(chronology).to_contain_text("15 Jun 2019 (from the text)")
    expect(chronology.locator("tbody tr").last).to_contain_text("undated (no date found)")
    shot(page, "28-chronology-text-dates")
    check_axe(page, "chronology text dates")


def test_rows_and_the_queue_fit_a_phone(page: Page, troubled: str) -> None:
    """At 390 px the rows table, the batches table, the quality page's bars and the queue's
    filter (its longest kind's label) made the whole page scroll sideways; the tables now read
    as labelled cards, the bars narrow and the filter fits."""
    log_in(page, Site(url=troubled, people=[]), "mig")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(troubled + "/migration")
    page.locator("table a[href^='/migration/batches/']").first.click()
    page.locator("figure", has_text="rows by reason").get_by_role(
        "link", name="3 rows: File not found"
    ).click()
    expect(page.locator("table.rows tbody tr")).to_have_count(3)
    batch = page.url.split("/rows")[0]
    pages = (
        page.url,
        troubled + "/migration/exceptions",
        troubled + "/migration",
        batch + "/quality",
    )
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path}: {width} px wide"
    shot(page, "29-queue-phone")
