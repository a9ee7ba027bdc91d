"""first_date_in_text against the plainest reading of its rule, on texts dense with digits
(and birth-date labels)."""

from __future__ import annotations

import random
import re
from datetime import date

from domain.values import MONTHS
from workers.dates import TEXT_WINDOW, first_date_in_text

# The rule, spelled out: at each place in the window that does not follow a digit, try each
# form of date; the first plausible one wins.
_FORMS = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)"
    r"|(\d{4})-(\d{2})-(\d{2})(?!\d)"
    r"|(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})(?!\d)"
)


def _plausible(year: int, month: int | None, day: int) -> date | None:
    try:
        found = date(year, month or 0, day)
    except ValueError:
        return None
    return found if 1950 <= found.year <= date.today().year + 1 else None


_LABELS = ("dob", "d.o.b", "d.o.b.", "date of birth", "born", "born on")


def _after_birth_label(before: str) -> bool:
    """Does `before` end in a birth-date label, then perhaps one separator, then spaces?"""
    rest = before.rstrip()
    if rest[-1:] in (":", "=", "-", "\u2013"):
        rest = rest[:-1].rstrip()
    rest = rest.lower()
    for label in _LABELS:
        if rest.endswith(label):
            head = rest[: -len(label)]
            if not head or not head[-1].isalnum():
                return len(before) - len(head) <= 24
    return False


def _reference(text: str, skip: frozenset[date] = frozenset()) -> date | None:
    window = text[:TEXT_WINDOW]
    for start in range(len(window)):
        if start and window[start - 1].isdigit():
            continue
        match = _FORMS.match(window, start)
        if match is None:
            continue
        g = match.groups()
        if g[2]:
            found = _plausible(int(g[2]), int(g[1]), int(g[0]))
        elif g[3]:
            found = _plausible(int(g[3]), int(g[4]), int(g[5]))
        else:
            found = _plausible(int(g[8]), MONTHS.get(g[7].lower()), int(g[6]))
        if found is not None and found not in skip and not _after_birth_label(window[:start]):
            return found
    return None


def test_first_date_in_text_finds_what_the_plain_rule_finds() -> None:
    rng = random.Random(11)
    pieces = [
        "12/05/2020", "1/5/2019", "31/02/2020", "2019-03-04", "2019-13-01", "3rd March 2019",
        "21 Sept. 2018", "7 may, 2021", "01/01/1940", "112/05/2020", "2020-01-015", "4 Foo 2019",
        "0", "12", "2019", " ", "/", "-", "rd ", "March ", "\n", "x",
        "DOB: ", "D.O.B. ", "Date of birth ", "born ", "born on ", ":",
    ]  # fmt: skip
    skip = frozenset({date(2019, 3, 3), date(2020, 5, 12)})
    found = skipped = 0
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert first_date_in_text(text) == _reference(text), text
        assert first_date_in_text(text, skip) == _reference(text, skip), text
        found += first_date_in_text(text) is not None
        skipped += first_date_in_text(text) != first_date_in_text(text, skip)
    assert found > 500  # the generator does make texts with dates in them
    assert skipped > 50  # and texts where a linked person's date of birth is passed over
