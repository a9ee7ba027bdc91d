"""Finding a document's date in its text when the manifest has none."""

from __future__ import annotations

import re
from datetime import date

TEXT_WINDOW = 5_000
_MONTHS = {
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
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_WORDS = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})(?!\d)")


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        candidate = date(year, month, day)
    except ValueError:
        return None
    # Dates of birth and far-future typos are not document dates.
    return candidate if 1950 <= candidate.year <= date.today().year + 1 else None


def first_date_in_text(text: str) -> date | None:
    """The earliest-written plausible date (UK day-first) in the opening of the text."""
    window = text[:TEXT_WINDOW]
    found: list[tuple[int, date]] = []
    for match in _NUMERIC.finditer(window):
        d = _safe(int(match[3]), int(match[2]), int(match[1]))
        if d:
            found.append((match.start(), d))
    for match in _ISO.finditer(window):
        d = _safe(int(match[1]), int(match[2]), int(match[3]))
        if d:
            found.append((match.start(), d))
    for match in _WORDS.finditer(window):
        month = _MONTHS.get(match[2].lower())
        d = _safe(int(match[3]), month, int(match[1])) if month else None
        if d:
            found.append((match.start(), d))
    return min(found)[1] if found else None
