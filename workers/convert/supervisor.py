"""The warm LibreOffice servers of one escr process, leased over a Unix socket.

A sandbox child may not start LibreOffice (its RLIMIT_AS is sized for one parser, and the
sandbox kills its whole process group), so the process that owns the sandbox pool runs the
servers and lends them out: a client connects to the socket named by ESCR_OFFICE_SOCKET, asks
for a lease, gets a server's port once one is free (starting it on first need: nothing starts
LibreOffice for a load without office files), converts over XML-RPC, and says how it went.

The lease is the supervisor's view of a conversion, so it, not the client, enforces the time
limit: a lease not handed back `done` within its time (the conversion hangs, or the client was
killed by the sandbox meanwhile) kills that server's process group, and a fresh one is started
in its place. One server converts one file at a time; a process keeps up to
`OfficeSettings.servers` of them (docs/decisions/0024-office-conversion.md).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from core.logging import get_logger
from core.settings import get_settings
from workers.convert.servers import OfficeServer, ServerConfig, ServerFailed

log = get_logger(__name__)

SOCKET_ENV = "ESCR_OFFICE_SOCKET"
# How much longer than its conversion's time a lease may stay out before its server is killed:
# the client's own socket timeout fires first and reports `hung` itself.
LEASE_GRACE_S = 2.0
# How often idle servers are checked (alive and answering).
HEALTH_INTERVAL_S = 5.0


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _receive(reader: Any) -> dict[str, Any] | None:
    """One JSON line, or None at EOF, on a timeout or on garbage."""
    try:
        line = reader.readline()
    except OSError:
        return None
    if not line:
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


class Supervisor:
    """Starts, leases, health-checks, restarts and stops up to `size` warm servers."""

    def __init__(self, size: int, config: ServerConfig) -> None:
        self.config = config
        self.socket_path = str(config.workdir / "office.sock")
        self._servers = [OfficeServer(index, config) for index in range(max(1, size))]
        self._free = list(range(len(self._servers)))
        self._changed = threading.Condition()
        self._stopping = False
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.socket_path)
        os.chmod(self.socket_path, 0o600)
        self._listener.listen(64)
        self.restarts = 0
        self._accepting = threading.Thread(target=self._accept, name="office-accept", daemon=True)
        self._health = threading.Thread(target=self._check, name="office-health", daemon=True)
        self._accepting.start()
        self._health.start()

    @property
    def size(self) -> int:
        return len(self._servers)

    def server_pids(self) -> list[int | None]:
        """The pid of each server's process group leader (None: not running)."""
        return [server.pid if server.alive() else None for server in self._servers]

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            conn.settimeout(10.0)
            request = _receive(reader)
            if request is None or request.get("op") != "lease":
                return
            timeout = float(request.get("timeout", 60.0))
            wait = float(request.get("wait", timeout))
            index = self._acquire(wait)
            if index is None:
                _send(conn, {"error": "busy", "detail": f"no LibreOffice free in {wait:.0f}s"})
                return
            try:
                self._lend(conn, reader, index, timeout)
            finally:
                self._release(index)

    def _lend(self, conn: socket.socket, reader: Any, index: int, timeout: float) -> None:
        server = self._servers[index]
        if not server.alive():
            try:
                server.start()
            except ServerFailed as exc:
                log.error("office.server_failed", server=index, error=str(exc))
                _send(conn, {"error": "start", "detail": str(exc)})
                return
        _send(conn, {"port": server.port})
        conn.settimeout(timeout + LEASE_GRACE_S)
        outcome = _receive(reader)
        status = outcome.get("status") if outcome else None
        if status == "done" or (status == "failed" and server.alive()):
            return  # a file LibreOffice refused, in a server that is still well
        # Hung, crashed, or the client went away mid-conversion (killed by its sandbox): the
        # server may still be working on that file, so it goes, and a fresh one takes its place.
        died = not server.alive()
        log.warning("office.server_reset", server=index, status=status or "lost", died=died)
        server.kill()
        self.restarts += 1
        with contextlib.suppress(OSError):
            _send(conn, {"ok": True, "died": died})
        self._restart_later(index)

    def _acquire(self, wait: float) -> int | None:
        deadline = time.monotonic() + wait
        with self._changed:
            while not self._free:
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping:
                    return None
                self._changed.wait(left)
            # Prefer a running server: a cold one costs seconds to start.
            running = [i for i in self._free if self._servers[i].alive()]
            index = running[0] if running else self._free[0]
            self._free.remove(index)
            return index

    def _release(self, index: int) -> None:
        with self._changed:
            self._free.append(index)
            self._changed.notify()

    def _restart_later(self, index: int) -> None:
        """Start a killed server again in the background, so it is warm for the next file."""

        def restart() -> None:
            with self._changed:
                if self._stopping or index not in self._free:
                    return  # a lease holds it (and starts it) or we are stopping
                self._free.remove(index)
            try:
                self._servers[index].start()
            except ServerFailed as exc:
                log.error("office.server_failed", server=index, error=str(exc))
            finally:
                self._release(index)

        threading.Thread(target=restart, daemon=True).start()

    def _check(self) -> None:
        """Health check: an idle server that was started but has died or stopped answering is
        started again (a server never started stays cold until needed)."""
        while not self._stopping:
            time.sleep(HEALTH_INTERVAL_S)
            for index, server in enumerate(self._servers):
                with self._changed:
                    if self._stopping or index not in self._free or server.pid is None:
                        continue
                    self._free.remove(index)
                try:
                    if not (server.alive() and server.answers(timeout=5.0)):
                        if self._stopping:
                            continue  # stop() killed it while it was checked: not a failure
                        log.warning("office.server_unhealthy", server=index)
                        self.restarts += 1
                        server.start()
                except ServerFailed as exc:
                    if not self._stopping:
                        log.error("office.server_failed", server=index, error=str(exc))
                finally:
                    self._release(index)

    def stop(self) -> None:
        """Stop every server and the socket; leases in flight end as their servers die."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        with contextlib.suppress(OSError):
            self._listener.close()
        for server in self._servers:
            server.close()
        shutil.rmtree(self.config.workdir, ignore_errors=True)


_lock = threading.Lock()
_supervisor: Supervisor | None = None
_WORKDIR_PREFIX = "escr-office-"


def _sweep(tmp: Path) -> None:
    """Remove the folders of supervisors whose process has gone without its exit handlers
    (killed): their servers died with them (the launcher watches its stdin), their files not."""
    for folder in tmp.glob(f"{_WORKDIR_PREFIX}*-*"):
        pid = folder.name[len(_WORKDIR_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # another user's process, alive


def server_count(configured: int) -> int:
    return configured or max(1, min(2, os.cpu_count() or 1))


def supervisor() -> Supervisor:
    """This process's supervisor, made on first use (no LibreOffice starts until a lease);
    its servers are stopped when the process exits."""
    global _supervisor
    with _lock:
        if _supervisor is None:
            office = get_settings().office
            # Under the system temp folder, not ESCR_HOME: a Unix socket's path must stay short.
            _sweep(Path(tempfile.gettempdir()))
            workdir = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-"))
            config = ServerConfig(
                python=office.python,
                soffice=office.soffice,
                memory_mb=office.memory_mb,
                start_timeout_s=office.start_timeout_s,
                workdir=workdir,
            )
            _supervisor = Supervisor(server_count(office.servers), config)
            atexit.register(_supervisor.stop)
        return _supervisor


def reset() -> None:
    """Stop this process's supervisor (tests; a later `supervisor()` makes a new one)."""
    global _supervisor
    with _lock:
        if _supervisor is not None:
            _supervisor.stop()
            atexit.unregister(_supervisor.stop)
            _supervisor = None


def child_env() -> dict[str, str]:
    """What a sandbox child needs in its environment to lease this process's servers."""
    return {SOCKET_ENV: supervisor().socket_path}
