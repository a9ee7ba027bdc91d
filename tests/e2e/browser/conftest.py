"""A real server on 127.0.0.1 with a loaded synthetic archive, users and allocations made by
the CLI, and Debian's Chromium driven by Playwright (no browser download, no network)."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.factories.served import PASSWORD, ROOT, add_user, clean_env, load_synthetic, serving

__all__ = ["AXE", "CHROMIUM", "CHROMIUM_ARGS", "PASSWORD", "SHOTS", "Site"]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Site:
    url: str
    people: list[dict[str, str]]  # people.csv rows, with their team
    env: dict[str, str] = field(default_factory=dict)  # the CLI's, to add users while it serves

    def team_people(self, team: str) -> list[dict[str, str]]:
        return [p for p in self.people if p["team"] == team]


def _ensure_browser_deps() -> None:
    """Install what is missing (Chromium by apt when root, axe-core by npm); a test that
    cannot run here fails rather than skips."""
    if not CHROMIUM.exists() or not AXE.exists():
        subprocess.run([str(ROOT / "scripts" / "browser-deps.sh")], check=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _ensure_browser_deps()
    base = tmp_path_factory.mktemp("browser")
    env = clean_env(base / "var")
    people = load_synthetic(env, base / "archive")
    add_user(env, "alice", ["practitioner"], [people[0]["team"]])
    add_user(env, "bob", ["practitioner"], [people[0]["team"]])  # breaks glass in IG tests
    add_user(env, "mig", ["migration_officer"])
    add_user(env, "ig1", ["ig_officer"])
    add_user(env, "ig2", ["ig_officer"])  # a second officer: disposal's separation of duties
    with serving(env) as (url, _):
        yield Site(url=url, people=people, env=env)


_GLASS_BREAKERS = itertools.count(1)


@pytest.fixture
def glass_breaker(site: Site) -> str:
    """A practitioner of the first person's team for this test alone, to break glass with: a
    break-glass opens another team's person to its user for an hour, in the session's one
    server, so made by alice it showed that person in her finder in a later module
    (test_queue_and_finder's "0 people found" failed after test_web_app)."""
    username = f"breaker{next(_GLASS_BREAKERS)}"
    add_user(site.env, username, ["practitioner"], [site.people[0]["team"]])
    return username


@pytest.fixture(scope="module")
def shared_chromium() -> Iterator[Browser]:
    """The module's one Chromium, which every browser fixture of the module uses: Playwright's
    sync API cannot be started while another instance runs in the same thread ("using
    Playwright Sync API inside the asyncio loop"), so two fixtures each starting their own
    failed. Stopped with the module, not kept for the session: while it runs, its event loop
    is the main thread's, so later tests' asyncio.run() and TestClient requests failed (a
    request abandoned mid-way held SQLite's write lock: "database is locked")."""
    _ensure_browser_deps()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser(site: Site, shared_chromium: Browser) -> Browser:
    return shared_chromium
