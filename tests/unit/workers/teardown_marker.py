"""Preloaded by test_quick_exit's forkserver: notes the process that tears it down."""

from __future__ import annotations

import os


class _Marker:
    # What __del__ needs is bound now: by the teardown, module globals may be gone.
    def __del__(self, path: str = os.environ["ESCR_TEST_TEARDOWN_MARKER"]) -> None:
        fd = _open(path, _FLAGS, 0o600)
        _write(fd, b"torn down\n")
        _close(fd)


_open, _write, _close = os.open, os.write, os.close
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND
MARKER = _Marker()
