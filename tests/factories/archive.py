"""The seeded synthetic archive for tests: `make_archive(tmp_path, seed=..., people=..., docs=...)`.

Tests assert against the returned ground truth (`archive.expected`), never against themselves.
"""

from __future__ import annotations

from workers.synth.archive import ExpectedRow, SyntheticArchive, make_archive

__all__ = ["ExpectedRow", "SyntheticArchive", "make_archive"]
