"""Stopping the office supervisor is not a server failure.

`stop()` kills the servers; a health check running at that moment found its server dead and
logged `office.server_unhealthy` and then `office.server_failed` ("the supervisor has stopped")
at the end of every process that had used LibreOffice, an error in the log of a load that went
well. A fake server stands in for LibreOffice, and its health check is where stop() happens.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from workers.convert import supervisor as module
from workers.convert.servers import ServerConfig, ServerFailed


class _Log:
    def __init__(self) -> None:
        self.events: list[str] = []

    def warning(self, event: str, **_: Any) -> None:
        self.events.append(event)

    def error(self, event: str, **_: Any) -> None:
        self.events.append(event)

    def info(self, event: str, **_: Any) -> None:
        pass


class _Server:
    """Started once; its health check is where the supervisor is stopped, or not."""

    def __init__(self, owner: list[module.Supervisor], stop_during_check: bool) -> None:
        self.owner = owner
        self.stop_during_check = stop_during_check
        self.pid: int | None = 4242
        self.checks = 0
        self.starts = 0

    def alive(self) -> bool:
        self.checks += 1
        if self.stop_during_check:
            self.owner[0]._stopping = True  # what stop() sets before it kills the servers
        return False  # and the kill has landed

    def answers(self, timeout: float) -> bool:
        return False

    def start(self) -> None:
        self.starts += 1
        raise ServerFailed("the supervisor has stopped")

    def close(self) -> None:
        self.pid = None


def _supervisor(tmp_path: Path, stop_during_check: bool) -> tuple[module.Supervisor, _Server]:
    config = ServerConfig(
        python="python3", soffice="soffice", memory_mb=512, start_timeout_s=1.0, workdir=tmp_path
    )
    owner: list[module.Supervisor] = []
    supervisor = module.Supervisor(1, config)
    owner.append(supervisor)
    fake = _Server(owner, stop_during_check)
    supervisor._servers = [fake]  # type: ignore[list-item]
    return supervisor, fake


def _checked(fake: _Server) -> None:
    deadline = time.monotonic() + 5.0
    while fake.checks == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the check's own end


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> _Log:
    recorder = _Log()
    monkeypatch.setattr(module, "log", recorder)
    monkeypatch.setattr(module, "HEALTH_INTERVAL_S", 0.02)
    return recorder


def test_a_server_stopped_while_checked_is_neither_unhealthy_nor_failed(
    tmp_path: Path, log: _Log
) -> None:
    supervisor, fake = _supervisor(tmp_path, stop_during_check=True)
    _checked(fake)
    supervisor.stop()
    assert fake.checks >= 1
    assert fake.starts == 0
    assert log.events == []


def test_a_server_dead_while_running_is_still_reported_and_restarted(
    tmp_path: Path, log: _Log
) -> None:
    supervisor, fake = _supervisor(tmp_path, stop_during_check=False)
    _checked(fake)
    supervisor.stop()
    assert fake.starts >= 1
    assert "office.server_unhealthy" in log.events
    assert "office.server_failed" in log.events
