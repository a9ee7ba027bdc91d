"""Fewer runs of Python's cycle collector while the loader works (docs/decisions/0016).

The loader allocates and frees ORM objects, rows and results by the hundred thousand. With
CPython's default thresholds (a young-generation pass every 700 net allocations) the collector
ran about 260 times in a 2,000-document load and took a quarter of the loader's main thread
(perf: gc_collect_main, visit_decref, visit_reachable), walking the ~110,000 long-lived objects
of the imported libraries again at every older-generation pass. Reference counting frees
almost everything the loader makes; the collector is only for cycles, so it may run rarely.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Net allocations between young-generation passes. At most this many objects of cyclic garbage
# wait for a pass (a few tens of MB at worst), so memory stays bounded on any archive.
YOUNG_THRESHOLD = 50_000

# The settings are the process's: where loads overlap (API requests on threads), the first in
# changes them and the last out puts them back.
_lock = threading.Lock()
_active = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Freeze what exists now out of the collector's reach and collect the young generation
    rarely, until the block ends; then the thresholds and generations are as they were."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.freeze()  # the imported libraries' objects: never garbage, no longer walked
            gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
