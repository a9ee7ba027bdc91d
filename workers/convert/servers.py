"""One warm LibreOffice: unoserver (XML-RPC on loopback) and the soffice it starts, as one
process group under a memory limit, which dies with the escr process that started it.

unoserver needs the `uno` module, which only Debian's interpreter has (python3-uno); escr's own
interpreter (a venv, or the Docker image's) does not. So the server runs under
`OfficeSettings.python` with a path that holds unoserver alone, linked from where pip put it
for escr: no second install step (docs/decisions/0024-office-conversion.md).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import os
import signal
import socket
import subprocess
import threading
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

from core.logging import get_logger
from workers.convert.profile import server_env, write_hardened_profile

log = get_logger(__name__)

# Run by the server's interpreter: limit the address space of the whole group (soffice inherits
# it), die with escr (its stdin is a pipe escr holds: EOF means escr has gone, however it went,
# and an orphaned soffice would otherwise run for ever), then run unoserver's own main. One
# change to unoserver, which (3.7) has no option for load properties: documents are loaded
# Hidden (without it LibreOffice 7.4, Debian 12, aborts in vcl::Window::GetCursor on the first
# spreadsheet it opens over UNO), with no link updated (UpdateDocMode NO_UPDATE = 0) and no
# macro run (MacroExecutionMode NEVER_EXECUTE = 0): a document gets nothing from outside itself,
# with the profile of workers/convert/profile.py (docs/decisions/0024-office-conversion.md).
_LAUNCHER = """
import os, resource, signal, sys, threading
limit = int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
def watch():
    sys.stdin.buffer.read()
    os.killpg(0, signal.SIGKILL)
threading.Thread(target=watch, daemon=True).start()
from unoserver import converter
from com.sun.star.beans import PropertyValue
class HiddenDesktop:
    def __init__(self, desktop):
        self._desktop = desktop
    def loadComponentFromURL(self, url, frame, flags, properties):
        safe = {"Hidden": True, "UpdateDocMode": 0, "MacroExecutionMode": 0}
        kept = tuple(p for p in properties if p.Name not in safe)
        added = tuple(PropertyValue(Name=name, Value=value) for name, value in safe.items())
        return self._desktop.loadComponentFromURL(url, frame, flags, kept + added)
    def __getattr__(self, name):
        return getattr(self._desktop, name)
unpatched_init = converter.UnoConverter.__init__
def init(self, *args, **kwargs):
    unpatched_init(self, *args, **kwargs)
    self.desktop = HiddenDesktop(self.desktop)
converter.UnoConverter.__init__ = init
sys.argv = ["unoserver"] + sys.argv[2:]
from unoserver.server import main
sys.exit(main())
"""
# The name of LibreOffice's own process (the launcher starts it through oosplash).
_SOFFICE = "soffice.bin"


def _in_group(pid: int, group: int | None) -> str | None:
    """The command name of live process `pid` if it is in process group `group`."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 3 or fields[0] in {"Z", "X"} or int(fields[2]) != group:
        return None
    return stat[stat.find("(") + 1 : stat.rfind(")")]


class ServerFailed(Exception):
    """LibreOffice could not be started (not installed, or it died while starting)."""


@dataclass(frozen=True)
class ServerConfig:
    python: str
    soffice: str
    memory_mb: int
    start_timeout_s: float
    # A private folder for the servers' profiles, logs and the unoserver path.
    workdir: Path


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def unoserver_path(workdir: Path) -> Path:
    """A folder holding only unoserver and its metadata (it reads its own version at import),
    linked from escr's installation, for the server's PYTHONPATH."""
    distribution = importlib.metadata.distribution("unoserver")
    package = Path(str(distribution.locate_file("unoserver")))
    metadata = Path(str(distribution._path))  # type: ignore[attr-defined]
    shim = workdir / "unoserver-path"
    shim.mkdir(parents=True, exist_ok=True)
    for source in (package, metadata):
        link = shim / source.name
        if not link.exists():
            link.symlink_to(source, target_is_directory=True)
    return shim


class TimeoutTransport(xmlrpc.client.Transport):
    """XML-RPC over HTTP with a socket timeout (ServerProxy has none of its own)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: tuple[str, dict[str, str]] | str) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def proxy(port: int, timeout: float) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(
        f"http://127.0.0.1:{port}", allow_none=True, transport=TimeoutTransport(timeout)
    )


class OfficeServer:
    """One unoserver and its soffice; `start` returns once it answers."""

    def __init__(self, index: int, config: ServerConfig) -> None:
        self.index = index
        self.config = config
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False  # it answered once: soffice must be running from then on
        self._soffice: int | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        """Whether the server and its soffice are running: unoserver can outlive a crashed
        soffice for a while, answering every call with a broken bridge's error."""
        if self._process is None or self._process.poll() is not None:
            return False
        return self.soffice_pid() is not None or not self._started

    def soffice_pid(self) -> int | None:
        """The pid of the soffice.bin in this server's process group, if one is running (found
        once by a scan of /proc, then checked by its own entry: a scan costs milliseconds)."""
        if self._soffice is not None and _in_group(self._soffice, self.pid) == _SOFFICE:
            return self._soffice
        self._soffice = None
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _in_group(int(entry.name), self.pid) == _SOFFICE:
                self._soffice = int(entry.name)
                break
        return self._soffice

    def start(self) -> None:
        self.kill()
        with self._lock:
            if self._closed:
                raise ServerFailed("the supervisor has stopped")
            self._process = self._spawn()
        started = time.monotonic()
        self._wait_ready()
        self._started = True
        log.info(
            "office.server_started",
            server=self.index,
            pid=self.pid,
            seconds=round(time.monotonic() - started, 2),
        )

    def close(self) -> None:
        """Kill the server and refuse to start it again: a start racing with this one (the
        supervisor restarts servers in the background) cannot leave a LibreOffice behind."""
        with self._lock:
            self._closed = True
        self.kill()

    def _spawn(self) -> subprocess.Popen[bytes]:
        workdir = self.config.workdir
        profile = workdir / f"profile-{self.index}"
        self.port, uno_port = free_port(), free_port()
        command = [
            self.config.python,
            "-c",
            _LAUNCHER,
            str(self.config.memory_mb),
            "--port",
            str(self.port),
            "--uno-port",
            str(uno_port),
            "--user-installation",
            str(profile),
            "--executable",
            self.config.soffice,
            "--quiet",
        ]
        write_hardened_profile(profile)
        try:
            env = server_env(dict(os.environ, PYTHONPATH=str(unoserver_path(workdir))))
            env.pop("PYTHONHOME", None)
            with (workdir / f"server-{self.index}.log").open("ab") as logfile:
                return subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=logfile,
                    stderr=logfile,
                    env=env,
                    cwd=workdir,
                    start_new_session=True,  # its own group: one killpg ends soffice too
                )
        except OSError as exc:
            raise ServerFailed(f"cannot run {self.config.python}: {exc}") from exc

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.start_timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                code = self._process.returncode if self._process is not None else None
                self.kill()
                raise ServerFailed(f"LibreOffice server exited while starting (code {code})")
            if self.answers(timeout=2.0):
                return
            time.sleep(0.2)
        self.kill()
        raise ServerFailed(f"LibreOffice server not ready in {self.config.start_timeout_s}s")

    def answers(self, timeout: float) -> bool:
        """Whether the server answers a cheap XML-RPC call (it serves one call at a time, so
        only ask an idle one)."""
        try:
            proxy(self.port, timeout).system.listMethods()
            return True
        except (OSError, xmlrpc.client.Error, http.client.HTTPException):
            return False

    def kill(self) -> None:
        """End the server's whole process group (soffice with it) and reap it."""
        with self._lock:
            process, self._process = self._process, None
        self._started = False
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("office.server_not_reaped", server=self.index, pid=process.pid)
