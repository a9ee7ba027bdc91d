"""A real `escr serve` (uvicorn over a socket, not the test client) answers the requests that
reset its connection or killed it (issue 11, item 1) with a 4xx, and goes on serving."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.factories.tiny import make_tiny_archive
from workers.load import load_archive

ROOT = Path(__file__).resolve().parents[3]
AUTH = {"Authorization": "Bearer dev-token"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(
    port: int, target: str, timeout: float = 30, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", target, headers={**AUTH, **(headers or {})})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"escr serve exited with {server.returncode}"
        try:
            if _get(port, "/healthz", timeout=1)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("escr serve did not answer /healthz within 60 s")


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`escr serve` on a free loopback port over the tiny archive, as `make demo` runs it."""
    manifest = make_tiny_archive(tmp_path / "archive")
    load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        progress=False,
    )
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port, server)
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_megabyte_query_string_and_a_deep_page_are_refused_and_the_server_lives(
    served: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, server = served
    status, body = _get(port, "/api/search?q=" + "a" * 1_000_000)
    assert status == 414 and b"longer than" in body
    status, body = _get(
        port, "/api/search?q=" + "a" * 10_000
    )  # under the head limit, over the app's
    assert status == 414 and b"query string" in body
    status, body = _get(port, "/api/search?offset=1000000000")
    assert status == 422 and b"10000" in body
    status, _ = _get(port, "/api/documents/99999999999999999999")
    assert status == 422
    status, body = _get(port, "/api/search", headers={"X-Padding": "a" * 1_000_000})
    assert status == 431 and b"headers are longer" in body
    assert _get(port, "/healthz")[0] == 200
    assert _get(port, "/api/search?q=grandmother")[0] == 200
    assert server.poll() is None
