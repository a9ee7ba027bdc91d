"""The subject access clock (UK GDPR Art 12(3); the ICO's "time limits for responding").

- Due one calendar month after receipt: the same date next month, or that month's last day
  when it has none (received 31 January: due 28 or 29 February), counted from the day of
  receipt whether or not it is a working day (the ICO: received 3 September, due 3 October).
- A due date on a weekend, an England and Wales bank holiday or a council closure day moves to
  the next working day.
- Extended by two further months (due three calendar months after receipt) only if recorded,
  with a reason, within the first month: on or before the one-month due date (moved by any
  pause). A later extension is refused.
- Paused while waiting for identity, authority or clarification ("the time limit is paused
  until you receive" it): the due date moves by the days the clock stood still. A pause from
  3 March to 10 March adds 7 days; the working-day move is applied last, to the moved date.

Pure functions: the catalog rows are read and changed by records/sar.py.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from core.errors import InvalidInput
from domain.bank_holidays import is_bank_holiday

EXTENSION_MONTHS = 2


class ExtensionTooLate(InvalidInput):
    """An extension recorded after the first month: Art 12(3) lets it be made only within it."""


def add_months(day: date, months: int) -> date:
    """The same date `months` later, or that month's last day when it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_working_day(day: date, closures: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day) and day not in set(closures)


def next_working_day(day: date, closures: Iterable[date] = ()) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    closed = frozenset(closures)
    while day.weekday() >= 5 or is_bank_holiday(day) or day in closed:
        day += timedelta(days=1)
    return day


def paused_days(pauses: Iterable[tuple[date, date | None]], today: date) -> int:
    """Days the clock stood still: each pause from its start to its end (or to today while it
    lasts). Overlapping pauses count each day once."""
    stopped: set[date] = set()
    for start, end in pauses:
        stop = end if end is not None else today
        stopped.update(start + timedelta(days=n) for n in range((stop - start).days))
    return len(stopped)


def due_date(
    received: date,
    *,
    extended: bool = False,
    paused: int = 0,
    closures: Iterable[date] = (),
) -> date:
    """The day the answer is due: one month (three when extended) after `received`, moved by
    the days paused, then to the next working day."""
    months = 1 + (EXTENSION_MONTHS if extended else 0)
    return next_working_day(add_months(received, months) + timedelta(days=paused), closures)


def check_extension(
    received: date, recorded: date, reason: str, *, paused: int, closures: Iterable[date] = ()
) -> date:
    """The extended due date, if an extension recorded on `recorded` is allowed; otherwise
    ExtensionTooLate (or InvalidInput without a reason)."""
    if not reason.strip():
        raise InvalidInput("an extension needs a reason (why the request is complex)")
    if recorded < received:
        raise InvalidInput(f"an extension cannot be recorded before receipt ({received})")
    first_month_ends = due_date(received, paused=paused, closures=closures)
    if recorded > first_month_ends:
        raise ExtensionTooLate(
            f"an extension must be recorded within the first month (by {first_month_ends}); "
            f"{recorded} is too late: the request is due {first_month_ends}"
        )
    return due_date(received, extended=True, paused=paused, closures=closures)
