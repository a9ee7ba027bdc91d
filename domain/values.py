"""Parsing the messy values of legacy exports: dates, IDs, control characters.

NHS numbers are checked and found in domain.nhs.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

# English month names and their abbreviations as letters write them ("3rd Sept 2019"), to the
# month's number: for dates found in text.
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

# Excel's day 0 is 1899-12-30 once its 1900 leap-year bug is allowed for.
_EXCEL_EPOCH = date(1899, 12, 30)
# Year, month, day however separated or padded ("2019/3/4"): never ambiguous.
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
# An Excel serial number, with the fraction of a day a date-time cell adds ("43528.5").
_EXCEL_SERIAL = re.compile(r"(\d{1,5})(?:\.\d+)?")
# The time of day a spreadsheet's date-time cell writes after the date ("04/03/2019 14:30",
# "4/3/2019 2:30 PM"); only a real time, so "25:99" leaves the value unreadable.
_TIME_OF_DAY = re.compile(
    r"(?P<date>.*\S)[ T]+(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"(?:\s*[AaPp]\.?[Mm]\.?)?"
)


def parse_date(value: str, formats: tuple[str, ...], excel_serial: bool = True) -> date | None:
    """A date from ISO 8601, one of `formats`, or an Excel serial; None for empty. A time of
    day after the date is ignored; a two-digit year is read as the latest year not to come.

    Raises ValueError for a value that is present but unreadable.
    """
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    impossible = ""
    candidate: str | None = text
    while candidate is not None:
        if candidate[:4].isdigit() and (year_first := _YEAR_FIRST.fullmatch(candidate)):
            try:
                return date(*(int(part) for part in year_first.groups()))
            except ValueError:
                impossible = impossible or "year, month, day"
        for fmt in formats:
            try:
                return _not_ahead(datetime.strptime(candidate, fmt).date(), fmt)
            except ValueError as exc:
                # "31/02/2021" has the shape of %d/%m/%Y but names no day: say so.
                if not impossible and "out of range" in str(exc):
                    impossible = fmt
        # Then the date before a time of day, once ("04/03/2019 14:30").
        timed = _TIME_OF_DAY.fullmatch(text) if candidate is text else None
        candidate = timed.group("date") if timed else None
    serial = _EXCEL_SERIAL.fullmatch(text)
    if excel_serial and serial and 1 <= int(serial.group(1)) <= 80000:
        return _EXCEL_EPOCH + timedelta(days=int(serial.group(1)))
    if impossible:
        raise ValueError(f"{text!r} is not a real date (read as {impossible})")
    raise ValueError(
        f"unreadable date {text!r} (expected YYYY-MM-DD or one of {', '.join(formats)})"
    )


def _not_ahead(day: date, fmt: str) -> date:
    """A two-digit year (%y) that strptime put in the future is the century before: legacy
    records hold past dates, and a date of birth "05-Jun-52" is 1952 (strptime says 2052)."""
    if "%y" not in fmt or day <= date.today():
        return day
    return day.replace(year=day.year - 100)  # 29 February: 2000 is past, so never 1900


# The days legacy systems and spreadsheets write for "not known" or "no end": no one's birth or
# death, nor a letter's date (1 January 1900 as a date of birth made a looked-after child's
# record 126 years old, due for disposal at once).
PLACEHOLDER_DAYS = frozenset(
    {
        date(1, 1, 1),
        date(1601, 1, 1),  # Windows' FILETIME epoch
        date(1753, 1, 1),  # SQL Server's first datetime
        date(1800, 1, 1),
        date(1899, 12, 30),  # Excel's day 0
        date(1899, 12, 31),
        date(1900, 1, 1),  # Excel's day 1, PARIS's and many systems' "unknown"
        date(9999, 12, 31),
    }
)


def implausible_date(day: date) -> str:
    """Why `day` cannot be a legacy record's date (a birth, a death, a letter's), "" where it
    can."""
    if day in PLACEHOLDER_DAYS:
        return "is a placeholder legacy systems write for an unknown date"
    if day > date.today():
        return "is in the future"
    return ""


def normalise_legacy_id(value: str) -> str:
    """Trimmed, upper case; all-digit IDs lose leading zeros and a zero fraction ("123.0"):
    spreadsheets add and drop them."""
    text = value.strip().upper()
    whole, point, fraction = text.partition(".")
    if point and whole.isdigit() and fraction and set(fraction) == {"0"}:
        text = whole
    if text.isdigit():
        return text.lstrip("0") or "0"
    return text


# Unicode's control characters (category Cc: C0, DEL, C1). A NUL stops every OS call that takes
# a path and PostgreSQL's text; none has a place in an ID or a path. Free text may keep the tab
# and line breaks a quoted CSV cell legitimately holds.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(value: str, *, free_text: bool = False) -> str | None:
    """Where `value` holds a control character ("U+0000 at character 4"), or None."""
    found = (_CONTROLS_IN_TEXT if free_text else _CONTROLS).search(value)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at character {found.start() + 1}"


def without_controls(value: str) -> str:
    """`value` with each control character written as an escape (\\x00), for a report."""
    return _CONTROLS.sub(lambda found: f"\\x{ord(found.group()):02x}", value)


def controls_in_cells(cells: dict[str, str], strict: set[str]) -> str | None:
    """The first cell holding a control character, with where ("file_path: U+0000 at
    character 4"); columns in `strict` are IDs or paths, the others free text. Cells are
    checked as read, stripped: the whitespace at either end is dropped anyway."""
    for column, value in cells.items():
        where = control_character(value.strip(), free_text=column not in strict)
        if where is not None:
            return f"{without_controls(column)} holds control character {where}"
    return None
