"""A real escr on 127.0.0.1 for the browser tests and the attack suite: a small synthetic
archive loaded, allocated and given users by the CLI, then `escr serve` in a subprocess."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any ESCR_ setting, with ESCR_HOME at `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    env.update(ESCR_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


def escr(
    env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        input=stdin,
        text=True,
        check=check,
        capture_output=True,
        cwd=ROOT,
    )


def load_synthetic(
    env: dict[str, str], archive: Path, *, people: int = 6, docs: int = 30, seed: int = 5
) -> list[dict[str, str]]:
    """Synthesise, load and allocate an archive; returns people.csv's rows (with their team)."""
    escr(
        env,
        "synth",
        str(archive),
        "--people",
        str(people),
        "--docs",
        str(docs),
        "--seed",
        str(seed),
    )
    people_csv = str(archive / "people.csv")
    escr(
        env,
        "load",
        str(archive / "manifest.csv"),
        "--people",
        people_csv,
        "--workers",
        "1",
        "--quiet",
    )
    # The CMS export's team column is the allocation: people.csv serves as the allocations file.
    escr(env, "allocate", "--file", people_csv)
    with (archive / "people.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def add_user(
    env: dict[str, str], username: str, roles: Sequence[str], teams: Sequence[str] = ()
) -> None:
    args = [f"--role={r}" for r in roles] + [f"--team={t}" for t in teams]
    escr(env, "user", "add", username, *args, "--password-stdin", stdin=PASSWORD + "\n")


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


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`escr serve` on a free loopback port until the block ends: its URL and its process."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
