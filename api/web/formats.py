"""How the web pages write dates, times and codes for people: one definition each, registered
as Jinja filters (api/web/render.py).

Times are stored as naive UTC (catalog) and shown in the office's time zone, Europe/London,
whatever the server's own zone is (containers run in UTC): "7 Dec 2026, 14:05".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.states import DateSource, reason_label

DISPLAY_ZONE_NAME = "Europe/London"


def _display_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo(DISPLAY_ZONE_NAME)
    except ZoneInfoNotFoundError:  # no time zone database installed: say UTC
        return None


_ZONE = _display_zone()


def day(value: date | str | None) -> str:
    """ "12 Mar 2012" for a date or an ISO date string; "" for none."""
    if not value:
        return ""
    when = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{when.day} {when:%b %Y}"


def local_time(value: datetime | str | None) -> str:
    """A stored (naive UTC) time as "7 Dec 2026, 14:05" in the display zone; "" for none."""
    if not value:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if _ZONE is None:
        return f"{when.day} {when:%b %Y, %H:%M} UTC"
    shown = when.astimezone(_ZONE)
    return f"{shown.day} {shown:%b %Y, %H:%M}"


def day_start_utc(value: date) -> datetime:
    """The naive UTC instant a calendar day starts in the display zone (an officer's "from
    12 March" means the UK's 12 March, which starts at 23:00 UTC the day before in summer)."""
    start = datetime.combine(value, datetime.min.time(), tzinfo=_ZONE or UTC)
    return start.astimezone(UTC).replace(tzinfo=None)


def iso_utc(value: datetime | str | None) -> str:
    """The machine-readable form for a <time datetime="..."> attribute."""
    if not value:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC).isoformat(timespec="seconds") if when.tzinfo is None else ""


def dated_label(source: str | None) -> str:
    """A date's provenance for people: "from the text"."""
    try:
        return DateSource(source or DateSource.NONE).label
    except ValueError:  # a code this version does not know: shown, not hidden
        return f"from {source}"


def dated(value: date | str | None, source: str | None) -> str:
    """A document date with its provenance: "12 Mar 2012 (from the text)", or "undated"."""
    if not value:
        return "undated"
    return f"{day(value)} ({dated_label(source)})"


def nhs(value: str | None) -> str:
    """An NHS number as people write it: "943 476 5919"."""
    digits = value or ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


FILTERS: dict[str, Any] = {
    "day": day,
    "nhs": nhs,
    "local_time": local_time,
    "iso_utc": iso_utc,
    "dated": dated,
    "dated_label": dated_label,
    "reason_label": reason_label,
}
