"""Cells of the CSV files escr writes: text a spreadsheet shows as text, never runs."""

from __future__ import annotations

from typing import Any

# Spreadsheets read a cell starting with one of these as a formula (OWASP, CSV injection):
# `=HYPERLINK(...)` from a manifest would become a live link in the migration officer's report.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """`value` for a CSV cell: text starting like a formula gets a leading apostrophe, which
    spreadsheets show as text and do not display; numbers and other values are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
