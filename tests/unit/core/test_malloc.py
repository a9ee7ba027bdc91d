"""The loader's malloc setting takes effect on this (glibc) machine."""

from __future__ import annotations

import platform

import pytest

from core.malloc import use_one_malloc_arena


def test_glibc_accepts_one_arena() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.fail("the loader's memory figures assume glibc; this machine has another libc")
    assert use_one_malloc_arena() is True
