"""convert(): one file through a warm LibreOffice, under the parse's time limit.

Works in a sandbox child (it leases a server from the supervisor of the process that owns the
pool, named by ESCR_OFFICE_SOCKET) and in any other escr process (where it starts that
process's own supervisor). It never starts LibreOffice itself.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

from core.states import Reason
from workers.convert.package_names import with_canonical_names
from workers.convert.servers import proxy
from workers.convert.supervisor import SOCKET_ENV, supervisor
from workers.extract.base import Limits
from workers.extract.failures import ExtractionFailed

# The target "odf": the OpenDocument format of the file's own family (a text, a spreadsheet,
# a presentation, a drawing), whatever it was written in; the family is only known once
# LibreOffice has opened the file, so a first guess it refuses is tried again with the right one.
ODF = "odf"
_ODF_BY_FAMILY = {
    "com.sun.star.text.TextDocument": "odt",
    "com.sun.star.text.GlobalDocument": "odt",
    "com.sun.star.text.WebDocument": "odt",
    "com.sun.star.sheet.SpreadsheetDocument": "ods",
    "com.sun.star.presentation.PresentationDocument": "odp",
    "com.sun.star.drawing.DrawingDocument": "odg",
    "com.sun.star.formula.FormulaProperties": "odf",
}
# Targets whose export filter LibreOffice does not find from the extension alone.
_EXPORT_FILTERS = {"ppt": "MS PowerPoint 97"}
_NO_FILTER = re.compile(r"Could not find an export filter from ([\w.]+) to")
# The share of a parse's time limit a conversion may use: the rest is for reading its output,
# and the lease must end before the sandbox kills the child that holds it.
_CONVERSION_SHARE = 0.8
# How long a client waits for a server to be free and started, on top of the conversion.
_LEASE_WAIT_S = 60.0
# ... and for a cold server to start (OfficeSettings.start_timeout_s, with room to spare).
_START_WAIT_S = 120.0


def conversion_timeout(limits: Limits) -> float:
    return max(0.01, limits.timeout_s * _CONVERSION_SHARE)


def convert(path: Path, target: str, out_dir: Path, limits: Limits) -> Path:
    """Convert `path` to `target` (a LibreOffice file extension: "pdf", "txt", "odt"...; or
    "odf", see ODF) in `out_dir`, and return the output's path.

    Raises ExtractionFailed with TIMEOUT (the conversion ran past its share of
    `limits.timeout_s`; its LibreOffice is killed and replaced), CORRUPT (LibreOffice could not
    read the file, or died on it), or INTERNAL_ERROR (LibreOffice cannot be started here).
    """
    if target == ODF:
        return convert_to_odf(path, out_dir, limits)
    try:
        return _convert_once(path, target, out_dir, limits)
    except _WrongFamily as exc:
        raise ExtractionFailed(Reason.CORRUPT, f"no {target} export for {exc.family}") from exc


def convert_to_odf(path: Path, out_dir: Path, limits: Limits, guess: str = "odt") -> Path:
    """`path` in the OpenDocument format of its own family ("odt", "ods", "odp" or "odg"),
    tried first as `guess` (a wrong guess costs LibreOffice a second load of the file)."""
    try:
        return _convert_once(path, guess, out_dir, limits)
    except _WrongFamily as exc:
        if exc.family not in _ODF_BY_FAMILY:
            raise ExtractionFailed(Reason.CORRUPT, f"no OpenDocument for {exc.family}") from exc
        return _convert_once(path, _ODF_BY_FAMILY[exc.family], out_dir, limits)


class _WrongFamily(Exception):
    def __init__(self, family: str) -> None:
        super().__init__(family)
        self.family = family


def _convert_once(path: Path, target: str, out_dir: Path, limits: Limits) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{path.stem or 'document'}.{target}"
    # An OOXML package whose part names differ in case from its references goes as a renamed
    # copy, which LibreOffice can open (workers/convert/package_names.py).
    source = with_canonical_names(path, out_dir / "package") or path
    timeout = conversion_timeout(limits)
    with _lease(timeout) as (port, report):
        started = time.monotonic()
        try:
            proxy(port, timeout).convert(
                str(source.resolve()),
                None,
                str(output.resolve()),
                None,
                _EXPORT_FILTERS.get(target),
                [],
                False,  # no index update: text and renditions as the file has them
            )
        except xmlrpc.client.Fault as exc:
            # The supervisor replaces the server if its soffice died on the file.
            died = report("failed")
            if died:
                raise ExtractionFailed(Reason.CORRUPT, "LibreOffice died on the file") from exc
            raise _failure(exc.faultString) from exc
        except TimeoutError as exc:
            report("hung")
            elapsed = time.monotonic() - started
            raise ExtractionFailed(
                Reason.TIMEOUT, f"LibreOffice conversion over {timeout:.2f}s ({elapsed:.2f}s)"
            ) from exc
        except (OSError, http.client.HTTPException, xmlrpc.client.ProtocolError) as exc:
            report("crashed")
            raise ExtractionFailed(
                Reason.CORRUPT, f"LibreOffice died on the file: {type(exc).__name__}"
            ) from exc
        report("done")
    if not output.exists():
        raise ExtractionFailed(Reason.CORRUPT, "LibreOffice wrote no output")
    return output


def _failure(message: str) -> Exception:
    """The reason for an error LibreOffice reported (its messages are all we get)."""
    family = _NO_FILTER.search(message)
    if family:
        return _WrongFamily(family.group(1))
    if "Could not load document" in message:
        return ExtractionFailed(Reason.CORRUPT, "LibreOffice cannot open the file")
    return ExtractionFailed(Reason.CORRUPT, f"LibreOffice: {message}"[:200])


class _lease:
    """A server leased from the supervisor: (port, report) inside the `with`; `report` says
    how the conversion went ("done", "hung", "crashed"), which the supervisor acts on."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._conn: socket.socket | None = None
        self._reader: Any = None
        self._reported = False

    def __enter__(self) -> tuple[int, Any]:
        socket_path = os.environ.get(SOCKET_ENV) or supervisor().socket_path
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(_LEASE_WAIT_S + _START_WAIT_S)
        try:
            conn.connect(socket_path)
            conn.sendall(
                json.dumps(
                    {"op": "lease", "timeout": self._timeout, "wait": _LEASE_WAIT_S}
                ).encode()
                + b"\n"
            )
            self._conn, self._reader = conn, conn.makefile("rb")
            answer = json.loads(self._reader.readline() or b"{}")
        except TimeoutError as exc:
            conn.close()
            raise ExtractionFailed(Reason.TIMEOUT, "no LibreOffice server free in time") from exc
        except (OSError, ValueError) as exc:
            conn.close()
            raise ExtractionFailed(
                Reason.INTERNAL_ERROR, f"LibreOffice supervisor unreachable: {exc}"
            ) from exc
        if "port" not in answer:
            self.__exit__(None, None, None)
            reason = Reason.TIMEOUT if answer.get("error") == "busy" else Reason.INTERNAL_ERROR
            raise ExtractionFailed(reason, str(answer.get("detail", answer))[:200])
        return int(answer["port"]), self._report

    def _report(self, status: str) -> bool:
        """Tell the supervisor how the conversion went; True if the server had died."""
        if self._reported or self._conn is None:
            return False
        self._reported = True
        try:
            self._conn.sendall(json.dumps({"status": status}).encode() + b"\n")
            if status == "done":
                return False
            # An answer, or EOF for a failure the server survived.
            answer = json.loads(self._reader.readline() or b"{}")
        except (OSError, ValueError):
            return False
        return bool(answer.get("died"))

    def __exit__(self, *exc_info: object) -> None:
        if self._conn is not None:
            self._report("lost")
            self._reader.close()
            self._conn.close()
            self._conn = None
