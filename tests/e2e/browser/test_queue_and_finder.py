"""The exception queue and the person finder in headless Chromium (issue 14): a noisy archive's
queue with ranked, labelled candidates and nothing preselected; a person picked through the
finder and linked; a legacy ID's documents linked at once; a decision undone; a practitioner's
finder showing only their teams' people; each page checked by axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import Site
from tests.e2e.browser.test_web_app import check_axe, log_in, shot
from tests.factories.served import add_user, clean_env, escr, serving

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Iterator[str]:
    """A server on a noisy synthetic archive: exceptions of every kind, with candidates."""
    base = tmp_path_factory.mktemp("noisy")
    env = clean_env(base / "var")
    archive = base / "archive"
    escr(env, "synth", str(archive), "--people", "40", "--docs", "200", "--noise", "heavy",
         "--seed", "7")  # fmt: skip
    escr(env, "load", str(archive / "manifest.csv"), "--people", str(archive / "people.csv"),
         "--workers", "1", "--quiet")  # fmt: skip
    add_user(env, "mig", ["migration_officer"])
    with serving(env) as (url, _):
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _log_in(page: Page, url: str) -> None:
    log_in(page, Site(url=url, people=[]), "mig")


def test_queue_ranks_labels_and_preselects_nothing(page: Page, noisy: str) -> None:
    _log_in(page, noisy)
    page.goto(noisy + "/migration/exceptions?sort=confidence")
    expect(page.locator("#queue-count")).to_contain_text(re.compile(r"1–20 of \d+ open"))
    assert page.locator("input[name=person_id]:checked").count() == 0
    ranks = page.locator(".candidate .rank")
    assert ranks.count() > 0 and ranks.first.inner_text() == "1."
    labels = set(page.locator(".candidate .source").all_inner_texts())
    assert labels <= {
        "crosswalk",
        "NHS number in the text",
        "name and date of birth in the text",
        "probable match",
    }, labels
    shot(page, "40-exception-queue")
    check_axe(page, "exception queue")
    page.goto(noisy + "/migration/exceptions?kind=nhs_conflict")
    sources = set(page.locator(".candidate .source").all_inner_texts())
    assert {"crosswalk", "NHS number in the text"} <= sources, sources
    check_axe(page, "exception queue, NHS conflicts")


def _a_family_name(page: Page, url: str) -> str:
    """A family name of someone in the catalog: the strongest candidate's in the queue."""
    page.goto(url + "/migration/exceptions?sort=confidence")
    label = page.locator(".candidate label").first.inner_text()
    found = re.search(r"^\d+\.\s+\S+ (\S+) \(", label)
    assert found, label
    return found.group(1)


def test_pick_through_the_finder_link_and_undo(page: Page, noisy: str) -> None:
    _log_in(page, noisy)
    words = _a_family_name(page, noisy)
    page.goto(noisy + "/migration/exceptions?kind=no_legacy_id")
    item = page.locator("section.exception").first
    title = item.locator("h2").inner_text()
    item.get_by_label("Find a person").fill(words)
    picked = item.locator(".picked input[name=person_id]").first
    expect(picked).to_be_attached()
    shot(page, "41-queue-picker")
    check_axe(page, "queue picker")
    picked.check()
    item.get_by_role("button", name="Link this document").click()
    expect(page.get_by_role("status")).to_contain_text("linked to")
    recent = page.locator("section.recent tr", has_text=title).first
    recent.get_by_role("textbox").fill("picked the wrong person")
    recent.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("Decision undone")
    check_axe(page, "queue after undo")


def test_link_all_documents_of_a_legacy_id(page: Page, noisy: str) -> None:
    _log_in(page, noisy)
    family = _a_family_name(page, noisy)
    bulk = page.get_by_role("button", name=re.compile(r"^Link all \d+ documents of legacy ID"))
    for page_no in range(1, 30):  # the first page with a legacy ID shared by open documents
        page.goto(noisy + f"/migration/exceptions?page={page_no}")
        if bulk.count():
            break
    expect(bulk.first).to_be_visible()
    form = page.locator("form.link-form", has=bulk.first).first
    count = int(re.search(r"Link all (\d+)", bulk.first.inner_text()).group(1))  # type: ignore[union-attr]
    item = page.locator("section.exception", has=bulk.first).first
    item.get_by_label("Find a person").fill(family)
    item.locator(".picked input[name=person_id]").first.check()
    form.locator("button[value=legacy_id]").click()
    expect(page.get_by_role("status")).to_contain_text(f"{count} documents of legacy ID")


def test_practitioner_finds_only_their_teams_people(page: Page, site: Site) -> None:
    log_in(page, site, "alice")
    mine = site.people[0]
    other = next(p for p in site.people if p["team"] != mine["team"])
    page.goto(site.url + "/people")
    expect(page.get_by_role("heading", name=re.compile("caseload"))).to_be_visible()
    check_axe(page, "caseload")
    page.get_by_label(re.compile("Name, date of birth")).fill(mine["family_name"])
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("link", name=re.compile(mine["given_name"]))).to_be_visible()
    shot(page, "42-find-a-person")
    check_axe(page, "find a person")
    page.goto(site.url + "/people?q=" + other["person_id"])
    expect(page.get_by_role("heading", name=re.compile("people found"))).to_contain_text("0")
    page.goto(site.url + "/search?q=" + mine["person_id"])
    expect(page).to_have_url(re.compile(f"/people/{mine['person_id']}$"))
