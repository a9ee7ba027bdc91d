"""One glibc malloc arena for a long-running loader (docs/decisions/0012).

glibc gives each thread that allocates its own arena. The loader's threads (the sandbox feeders
unpickling the children's results; measured when file-reading threads ran too) allocate what the
main thread frees, and memory freed into another thread's arena is rarely returned: RSS grew
with the archive (147 MB at 2,000 documents, 241 MB at 10,000). With one arena it stayed nearly
flat (131 and 146 MB) at the same speed. The threads spend their time waiting on pipes and the
GIL, so one arena's lock costs nothing measurable.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_ARENA_MAX = -8  # from glibc's malloc.h


def use_one_malloc_arena() -> bool:
    """Ask glibc for a single arena; False where the C library has no mallopt (not glibc).
    Call before starting threads: it governs arenas not yet created."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, 1))
