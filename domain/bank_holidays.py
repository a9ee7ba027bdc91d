"""England and Wales bank holidays, computed by rule with the one-off changes written down.

The rules (Banking and Financial Dealings Act 1971 and the royal proclamations each year):
New Year's Day, Good Friday, Easter Monday, the early May bank holiday (first Monday of May),
the spring bank holiday (last Monday of May), the summer bank holiday (last Monday of August),
Christmas Day and Boxing Day, with a substitute weekday when one falls at a weekend. The
one-off changes since 2000 are in `_MOVED` and `_EXTRA` below; a year outside 2000-2035 is
computed by the rules alone (a one-off is proclaimed months ahead, so add it here when it is).

Checked against GOV.UK's published list (https://www.gov.uk/bank-holidays, 2018-2027) in
tests/unit/records/test_sar_clock.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

# A rule's day moved by proclamation: (year, rule) -> the day it was held instead.
_MOVED: dict[tuple[int, str], date] = {
    (2002, "spring"): date(2002, 6, 4),  # Golden Jubilee weekend
    (2012, "spring"): date(2012, 6, 4),  # Diamond Jubilee weekend
    (2020, "early_may"): date(2020, 5, 8),  # VE Day's 75th anniversary (a Friday)
    (2022, "spring"): date(2022, 6, 2),  # Platinum Jubilee weekend
}
# Days added once.
_EXTRA: dict[date, str] = {
    date(2002, 6, 3): "Golden Jubilee",
    date(2011, 4, 29): "Royal wedding",
    date(2012, 6, 5): "Diamond Jubilee",
    date(2022, 6, 3): "Platinum Jubilee",
    date(2022, 9, 19): "State funeral of Queen Elizabeth II",
    date(2023, 5, 8): "Coronation of King Charles III",
}


def easter_sunday(year: int) -> date:
    """Western Easter (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher")."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@cache
def bank_holidays(year: int) -> dict[date, str]:
    """Every England and Wales bank holiday of `year`, with its name."""
    easter = easter_sunday(year)
    days: dict[date, str] = {}
    new_year = date(year, 1, 1)
    days[_next_weekday(new_year)] = "New Year's Day" + (
        "" if new_year.weekday() < 5 else " (substitute day)"
    )
    days[easter - timedelta(days=2)] = "Good Friday"
    days[easter + timedelta(days=1)] = "Easter Monday"
    days[_MOVED.get((year, "early_may"), _first_monday(year, 5))] = "Early May bank holiday"
    days[_MOVED.get((year, "spring"), _last_monday(year, 5))] = "Spring bank holiday"
    days[_last_monday(year, 8)] = "Summer bank holiday"
    # Christmas and Boxing Day: a day at a weekend is replaced by the next weekday not already
    # a holiday (Christmas on a Saturday: Monday 27th and Tuesday 28th).
    # Christmas on a Sunday: Boxing Day keeps Monday 26th and Christmas's substitute is the 27th.
    christmas = ((date(year, 12, 25), "Christmas Day"), (date(year, 12, 26), "Boxing Day"))
    days.update({day: name for day, name in christmas if day.weekday() < 5})
    for day, name in christmas:
        if day.weekday() < 5:
            continue
        substitute = _next_weekday(day)
        while substitute in days:
            substitute = _next_weekday(substitute + timedelta(days=1))
        days[substitute] = f"{name} (substitute day)"
    days.update({day: name for day, name in _EXTRA.items() if day.year == year})
    return days


def is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)
