"""Finding a document's date in its text when the manifest has none.

A date of birth is never a document date: not one written beside its label ("DOB",
"D.O.B.", "Date of birth", "born"), and not one equal to a linked person's date of birth (known
only after linking, so the pipeline passes those in as `skip`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from domain.values import MONTHS

TEXT_WINDOW = 5_000
# One pattern, one scan: dd/mm/yyyy, ISO yyyy-mm-dd, or "3rd March 2019" (the alternatives
# cannot start at the same place). Its first digit is matched on its own, before the
# alternatives, because only a pattern that starts with one plain character class lets the
# regex engine skip ahead to the next digit in C: 2.4x faster on a letter than `(?=\d)` first.
# So the first number of each alternative lacks its first digit, `lead`, added back below.
# first_date_in_text checks the character before (part of a longer number?).
_DATE = re.compile(
    r"(?P<lead>[0-9])(?:"
    r"(?P<d>[0-9]?)/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})"
    r"|(?P<iy>[0-9]{3})-(?P<im>[0-9]{2})-(?P<id>[0-9]{2})"
    r"|(?P<wd>[0-9]?)(?:st|nd|rd|th)?\s+(?P<wm>[A-Za-z]{3,9})\.?,?\s+(?P<wy>[0-9]{4})"
    r")(?![0-9])"
)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        candidate = date(year, month, day)
    except ValueError:
        return None
    # Dates of birth and far-future typos are not document dates.
    return candidate if 1950 <= candidate.year <= date.today().year + 1 else None


# A birth-date label ending just before a date ("DOB: ", "Date of birth - ", "born on "). Matched
# against the few characters before each candidate only, so the scan stays linear in the text.
_BIRTH_LABEL = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth|\bborn(?:\s+on)?)\s*[:=\-\u2013]?\s*$",
    re.IGNORECASE,
)
_LABEL_REACH = 24  # characters before a date searched for its label


def _labelled_birth_date(window: str, start: int) -> bool:
    return _BIRTH_LABEL.search(window, max(0, start - _LABEL_REACH), start) is not None


def first_date_in_text(text: str, skip: Collection[date] = ()) -> date | None:
    """The earliest-written plausible date (UK day-first) in the opening of the text that is
    not labelled as a date of birth and not in `skip` (the linked people's dates of birth)."""
    # The sandbox child that read the text found its first date (skipping nothing): unless
    # that is a skipped one, it is the answer (workers.extract.signals).
    scanned = _primed_first_date(text)
    if scanned is not None and scanned[0] not in skip:
        return scanned[0]
    window = text[:TEXT_WINDOW]
    position = 0
    while match := _DATE.search(window, position):
        position = match.start() + 1
        if match.start() and window[match.start() - 1].isdigit():
            continue  # part of a longer number
        lead = match["lead"]
        if match["y"]:
            found = _safe(int(match["y"]), int(match["m"]), int(lead + match["d"]))
        elif match["iy"]:
            found = _safe(int(lead + match["iy"]), int(match["im"]), int(match["id"]))
        else:
            month = MONTHS.get(match["wm"].lower())
            found = _safe(int(match["wy"]), month, int(lead + match["wd"])) if month else None
        if (
            found is not None
            and found not in skip
            and not _labelled_birth_date(window, match.start())
        ):
            return found
    return None


def _primed_first_date(text: str) -> tuple[date | None] | None:
    from workers.extract.signals import primed  # here: the signals module builds on this one

    signals = primed(text)
    return None if signals is None else (signals.first_date,)
