"""Helpers shared by the end-to-end tests (the archive fixtures are in tests/conftest.py)."""

from __future__ import annotations

import csv
from pathlib import Path


def row_report(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    """The `escr reconcile --rows` CSV keyed by (line, source system, source document ID)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (r["line_no"], r["source_system"], r["source_document_id"]): r
            for r in csv.DictReader(handle)
        }
