"""Date arithmetic for retention periods: what "beginning with", "anniversary" and "after" mean."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

from core.errors import PolicyViolation

Count = Literal["beginning_with", "anniversary", "after"]
COUNTS: tuple[Count, ...] = ("beginning_with", "anniversary", "after")
_DAY = timedelta(days=1)


def add_years(start: date, years: int) -> date:
    """The same day `years` later; 29 February moves to 1 March (the later day: keeps longer)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def period_end(start: date, years: int, count: Count) -> date:
    """The last day of the period: the record may be disposed of from the day after.

    "N years beginning with D" includes D, so it ends the day before the Nth anniversary
    (15 years beginning with 2010-05-01 ends 2025-04-30). "Until the Nth anniversary" and
    "N years after D" end on the anniversary itself.
    """
    anniversary = add_years(start, years)
    if count == "beginning_with":
        return anniversary - _DAY
    return anniversary


def is_due(retain_until: date, today: date) -> bool:
    """Whether a record kept until `retain_until` (inclusive) may be disposed of `today`."""
    return today > retain_until


def years_between(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later` (an age at a date)."""
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return years


def server_today() -> date:
    """Today by the server's clock (UTC): the only day the API and the CLI appraise, propose
    and destroy as of. No request or flag sets it, so nobody can make a record due early."""
    return datetime.now(UTC).date()


def not_after_today(today: date, what: str) -> date:
    """`today`, unless it is later than the server's: a decision that can lead to destruction
    is never taken as of a future day (tests may take one in the past)."""
    if today > server_today():
        raise PolicyViolation(f"{what} as of a future date ({today}) is refused")
    return today
