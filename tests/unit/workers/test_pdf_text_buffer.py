"""The text buffer workers.extract.pdf_text reuses reads as a new one did: zeroed as far as it
is asked for, large enough, and its own to each thread."""

from __future__ import annotations

import ctypes
import threading

from workers.extract import pdf_text


def test_a_reused_buffer_is_zeroed_as_far_as_asked() -> None:
    first = pdf_text._buffer(100)
    ctypes.memset(first, 0xAB, 2 * len(first))
    again = pdf_text._buffer(50)
    assert again is first
    assert list(again[:50]) == [0] * 50


def test_it_grows_to_the_size_asked_and_big_pages_get_their_own() -> None:
    assert len(pdf_text._buffer(pdf_text._FIRST_UNITS + 1)) >= pdf_text._FIRST_UNITS + 1
    big = pdf_text._REUSED_UNITS + 3
    own = pdf_text._buffer(big)
    assert len(own) == big and own is not pdf_text._buffer(big)


def test_each_thread_has_its_own() -> None:
    mine = pdf_text._buffer(10)
    theirs: list[object] = []
    worker = threading.Thread(target=lambda: theirs.append(pdf_text._buffer(10)))
    worker.start()
    worker.join()
    assert theirs[0] is not mine
