"""The batch quality page in headless Chromium (issue 14, measured accuracy): from the batch
page to the report of a noisy synthetic archive, its decision paths, OCR chart and the type
model's cross-validated confusion matrix; then the archive's truth.csv uploaded and measured
against. Each state checked by axe-core and shot for a person to look at."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from catalog.db import session_factory
from core.settings import Settings
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.test_web_app import check_axe, log_in, shot
from tests.factories.served import add_user, clean_env, escr, serving
from workers import learn_types
from workers.sources.mapping import load_mapping

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


@dataclass
class Served:
    url: str
    truth: Path


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Iterator[Served]:
    """A server on a small noisy archive, with a type model trained on its labelled documents."""
    base = tmp_path_factory.mktemp("quality")
    env = clean_env(base / "var")
    archive = base / "archive"
    escr(env, "synth", str(archive), "--people", "20", "--docs", "90", "--noise", "heavy",
         "--seed", "3")  # fmt: skip
    escr(env, "load", str(archive / "manifest.csv"), "--people", str(archive / "people.csv"),
         "--workers", "1", "--quiet")  # fmt: skip
    add_user(env, "mig", ["migration_officer"])
    # Ninety documents hold fewer than the 100 labels production training asks for; the model
    # is trained on them all the same, so the page has a real cross-validation to show.
    with pytest.MonkeyPatch.context() as patch:
        # The served catalog's settings (clean_env's): the scale-out stack's ESCR_ variables,
        # set where the integration tests run, would point this at PostgreSQL instead.
        for name in [k for k in os.environ if k.startswith("ESCR_")]:
            patch.delenv(name)
        settings = Settings(home=base / "var")
        patch.setattr(learn_types, "MIN_LABELLED", 20)
        with session_factory(settings.database_url)() as s:
            learn_types.train(s, load_mapping(None), settings.home, now=datetime(2026, 12, 7))
    with serving(env) as (url, _):
        yield Served(url, archive / "truth.csv")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_a_migration_lead_reads_the_report_and_measures_it_against_a_truth(
    page: Page, noisy: Served
) -> None:
    log_in(page, Site(url=noisy.url, people=[]), "mig")
    page.goto(noisy.url + "/migration")
    page.locator("table a[href^='/migration/batches/']").first.click()
    page.get_by_role("link", name="Measured accuracy of this batch").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Measured accuracy: batch "))
    ).to_be_visible()

    paths = page.locator("figure", has_text="Documents by decision path")
    crosswalk = paths.get_by_role("row", name=re.compile(r"^Crosswalk \d+"))
    expect(crosswalk).to_contain_text("linked automatically through the crosswalk")
    expect(
        page.locator("figure", has_text="Pages by OCR confidence").locator("rect")
    ).to_have_count(6)
    matrix = page.locator("#cv-matrix")
    expect(matrix.get_by_role("columnheader", name="True type")).to_be_visible()
    expect(page.get_by_text(re.compile(r"5-fold cross-validation"))).to_be_visible()
    shot(page, "60-batch-quality")
    check_axe(page, "batch quality")

    page.get_by_label("Ground truth CSV").set_input_files(str(noisy.truth))
    with page.expect_navigation():
        page.get_by_role("button", name="Measure against it").click()
    figures = page.locator("#truth-figures")
    precision = figures.get_by_role("row", name=re.compile(r"^Link precision"))
    expect(precision).to_contain_text(re.compile(r"[01]\.\d{3}"))
    expect(figures.get_by_role("row", name=re.compile(r"^Automatic-link recall"))).to_contain_text(
        "at least 0.9"
    )
    expect(page.locator("#truth-matrix")).to_be_visible()
    shot(page, "61-batch-quality-truth")
    check_axe(page, "batch quality against a truth")
