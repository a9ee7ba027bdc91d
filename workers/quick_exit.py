"""Imported first by the sandbox's forkserver (workers/sandbox_server.py PRELOAD): when the loader
that started it ends, the forkserver ends at once, without the interpreter's teardown of every
parser it preloaded (PDFium, Pillow, lxml, numpy: ~0.3 s), which kept the loader's stdout and
stderr open that long after the loader had gone: a caller reading them (`escr load | jq`, a
subprocess with its output captured, as bench_pipeline runs it) waited for it (decision 0050).

Its exit handler runs only in the process that imported this module first, the forkserver:
the children forked from it end through multiprocessing's own os._exit and never run exit
handlers."""

from __future__ import annotations

import atexit
import os
import sys

_SERVER = os.getpid()


def _end_now() -> None:
    if os.getpid() == _SERVER:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


atexit.register(_end_now)
