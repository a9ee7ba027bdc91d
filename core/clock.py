"""The service's one clock: naive UTC, as every timestamp column of the catalog stores it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC without tzinfo: the catalog's columns are naive and always mean UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
