"""What a person search's words are: an NHS number, a date of birth, a person or legacy ID,
or words of a name. Pure parsing, apart from the catalog, so each shape is tested alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.nhs import nhs_number_valid
from domain.person_names import name_tokens
from domain.values import normalise_legacy_id

MAX_QUERY = 200  # a name, a date and an ID fit in far less

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        )
    )
    for m in names
}
# UK order (day first) with / . or - between, ISO 8601, and "17 July 2004" / "17th Jul 2004".
_NUMERIC_UK = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_WORDED = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?,?\s+(\d{4})\b", re.IGNORECASE)
# A legacy ID written with its system: "PARIS 977606", "PARIS:977606", "paris/977606".
_SYSTEM_AND_ID = re.compile(r"^([A-Za-z][A-Za-z0-9_]{1,30})\s*[:/ ]\s*([A-Za-z0-9_./-]{1,100})$")
# An identifier is one word with a digit in it (LCS527117, 977606, C-00123): never a name.
_ID_WORD = re.compile(r"^[A-Za-z0-9_./-]*\d[A-Za-z0-9_./-]*$")


@dataclass(frozen=True)
class PersonQuery:
    """The search's parts; several may be set ("Zara Ali 17/07/2004" is a name and a date)."""

    text: str
    nhs_number: str = ""
    date_of_birth: date | None = None
    # Words that may be a person ID or a legacy ID (any system's), as typed and normalised.
    identifiers: tuple[str, ...] = ()
    # (SYSTEM, normalised legacy ID) where the system was written with it.
    system_id: tuple[str, str] | None = None
    names: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.nhs_number
            or self.date_of_birth
            or self.identifiers
            or self.system_id
            or self.names
        )


def _date(day: str, month: str | int, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def find_date(text: str) -> tuple[date | None, str]:
    """The first date written in the text, and the text without it."""
    for pattern, order in ((_ISO, "ymd"), (_NUMERIC_UK, "dmy"), (_WORDED, "dMy")):
        match = pattern.search(text)
        if not match:
            continue
        a, b, c = match.groups()
        if order == "ymd":
            found = _date(c, b, a)
        elif order == "dmy":
            found = _date(a, b, c)
        else:
            month = _MONTHS.get(b.lower())
            found = _date(a, month, c) if month else None
        if found:
            return found, text[: match.start()] + " " + text[match.end() :]
    return None, text


def parse(text: str) -> PersonQuery:
    """The parts of a person search; an NHS number may be typed with spaces or dashes."""
    text = " ".join(text.split())[:MAX_QUERY]
    compact = re.sub(r"[\s-]", "", text)
    if len(compact) == 10 and compact.isdigit():
        # Ten digits are an NHS number where the check digit says so; either way they may be
        # a legacy ID too (some systems number people with ten digits).
        return PersonQuery(
            text=text,
            nhs_number=compact if nhs_number_valid(compact) else "",
            identifiers=(compact,),
        )
    born, rest = find_date(text)
    system_id = None
    pair = _SYSTEM_AND_ID.match(rest.strip())
    if pair and any(ch.isdigit() for ch in pair.group(2)) and not pair.group(1).isdigit():
        system_id = (pair.group(1).upper(), normalise_legacy_id(pair.group(2)))
    words = rest.replace(",", " ").split()
    identifiers = tuple(w for w in words if _ID_WORD.match(w))
    names = tuple(t for w in words if not _ID_WORD.match(w) for t in name_tokens(w))
    if system_id:
        names = tuple(n for n in names if n.upper() != system_id[0])
    return PersonQuery(
        text=text,
        date_of_birth=born,
        identifiers=identifiers,
        system_id=system_id,
        names=names,
    )
