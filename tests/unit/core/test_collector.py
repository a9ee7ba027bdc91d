"""The loader's collector settings: raised while a load runs, put back after, nesting."""

from __future__ import annotations

import gc
import threading

from core.collector import YOUNG_THRESHOLD, fewer_collections


def test_thresholds_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0  # what existed is out of the collector's reach
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_overlapping_loads_restore_only_when_the_last_ends() -> None:
    before = gc.get_threshold()
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[tuple[int, ...]] = []

    def other_load() -> None:
        first_in.wait()
        with fewer_collections():
            pass
        seen.append(gc.get_threshold())  # the first load is still running
        second_done.set()

    thread = threading.Thread(target=other_load)
    thread.start()
    with fewer_collections():
        first_in.set()
        second_done.wait(10)
    thread.join()
    assert seen == [(YOUNG_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before


def test_restored_when_the_load_fails() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            raise RuntimeError("the load failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
