"""A real server on 127.0.0.1 with a loaded synthetic archive, users and allocations made by
the CLI, and Debian's Chromium driven by Playwright (no browser download, no network)."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"
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

    def team_people(self, team: str) -> list[dict[str, str]]:
        return [p for p in self.people if p["team"] == team]


def _ensure_browser_deps() -> None:
    """Install what is missing (Chromium by apt when root, axe-core by npm); a test that
    cannot run here fails rather than skips."""
    if not CHROMIUM.exists() or not AXE.exists():
        subprocess.run([str(ROOT / "scripts" / "browser-deps.sh")], check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _escr(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start within 30 s")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _ensure_browser_deps()
    base = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    env.update(ESCR_HOME=str(base / "var"), PYTHONPATH=str(ROOT))
    archive = base / "archive"
    _escr(env, "synth", str(archive), "--people", "6", "--docs", "30", "--seed", "5")
    _escr(
        env,
        "load",
        str(archive / "manifest.csv"),
        "--people",
        str(archive / "people.csv"),
        "--workers",
        "1",
        "--quiet",
    )
    # The CMS export's team column is the allocation: people.csv serves as the allocations file.
    _escr(env, "allocate", "--file", str(archive / "people.csv"))
    with (archive / "people.csv").open(encoding="utf-8", newline="") as handle:
        people = list(csv.DictReader(handle))
    team = people[0]["team"]
    _escr(
        env,
        "user",
        "add",
        "alice",
        "--role",
        "practitioner",
        "--team",
        team,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    _escr(
        env,
        "user",
        "add",
        "mig",
        "--role",
        "migration_officer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    _escr(
        env, "user", "add", "ig1", "--role", "ig_officer", "--password-stdin", stdin=PASSWORD + "\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc)
        yield Site(url=url, people=people)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
