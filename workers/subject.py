"""What a letter or form says about its subject, read from the top of its text.

Forms and letters name their subject in a block near the top: "Name: Zara Ali", "Child's name:",
"Re: Zara Ali (DOB 17/07/2004)", "Date of birth: 17/07/2004", "NHS number: 943 476 5919", an
address with a postcode. These are the fields the matcher compares with the catalog's people
(workers/matching/) and the misfiled check compares with the crosswalk's person (workers/link.py).

Only the first HEAD_CHARS characters are read, with one regex pass each: the cost is bounded
whatever the document's length (measured in docs/decisions/0031), so the sandbox child can scan
every text (workers/extract/signals.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from domain.nhs import nhs_number_valid
from domain.values import MONTHS

_T = TypeVar("_T")

# The subject block of a letter or form sits in its first lines; a case history further down
# names relatives, workers and neighbours, who are not the subject.
HEAD_CHARS = 2_000
_MAX_NAMES = 4

# A name label at the start of a line: "Name:", "Child's name:", "Full name -", "Re:", "Subject:".
_NAME_LINE = re.compile(
    r"^[ \t]*(?:(?:(?:child|client|young person|person|service user|patient|pupil|adult)"
    r"(?:['’]s)?|full|subject(?:['’]s)?)[ \t]+)?(?:name|re|subject)[ \t]*[:\-\u2013][ \t]*"
    r"(?P<value>[^\n]{2,120})",
    re.IGNORECASE | re.MULTILINE,
)
# Each label is found with str.find in the lowered head (C speed), and its pattern matched only
# there: a regex searched over the whole head cost 25-35 us a document each (decision 0031).
_DOB_LABELS = ("dob", "d.o.b", "date of birth", "born")
# A date of birth at its label (matched at the label's position in the lowered head).
_DOB_AT = re.compile(
    r"(?:d\.?[ \t]?o\.?[ \t]?b\b\.?|date[ \t]+of[ \t]+birth|born(?:[ \t]+on)?)"
    r"[ \t]*[:=\-\u2013]?[ \t]*"
    r"(?:(?P<d>[0-9]{1,2})[/.\-](?P<m>[0-9]{1,2})[/.\-](?P<y>[0-9]{4})"
    r"|(?P<iy>[0-9]{4})-(?P<im>[0-9]{2})-(?P<id>[0-9]{2})"
    r"|(?P<wd>[0-9]{1,2})(?:st|nd|rd|th)?[ \t]+(?P<wm>[a-z]{3,9})\.?,?[ \t]+(?P<wy>[0-9]{4}))"
    r"(?![0-9])"
)
_NHS_AT = re.compile(
    r"nhs[ \t]*(?:number|no\.?|num(?:ber)?)?[ \t]*[:\-]?[ \t]*"
    r"(?P<n>[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4})(?![0-9])"
)
# A UK postcode's inward code ("7QT"), searched from its digit (digits are rarer than capitals,
# so the engine skips ahead in C); its outward code ("SY4") is then read just before it.
_INWARD = re.compile(r"[0-9][ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
_OUTWARD = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?)[ \t]?$")
# Where a name written on a label line stops: its DOB, NHS number, a bracket, a comma.
_NAME_END = re.compile(
    r"[,(;|\t]|\s(?:d\.?o\.?b|date of birth|born|nhs|aged?|ref|address)\b", re.IGNORECASE
)
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’\-]*$")
# Words a "Re:" line carries that are not a name: "Re: arrangements for Amy", "RE: Update on Bob".
_NOT_NAMES = frozenset(
    [
        "re",
        "fw",
        "fwd",
        "update",
        "on",
        "for",
        "about",
        "arrangements",
        "next",
        "steps",
        "the",
        "a",
        "an",
        "of",
        "and",
        "to",
        "your",
        "our",
        "my",
        "letter",
        "report",
        "referral",
        "meeting",
        "visit",
        "review",
        "minutes",
        "plan",
        "school",
    ]
)


@dataclass(frozen=True)
class SubjectName:
    given: str  # given names as written ("Zara", "Mary Ann")
    family: str  # the family name ("Ali"); empty when only one word was written


@dataclass(frozen=True)
class SubjectFields:
    """The subject's details a text gives near its top; empty tuples where it gives none."""

    names: tuple[SubjectName, ...] = ()
    dates_of_birth: tuple[date, ...] = ()
    nhs_numbers: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.dates_of_birth or self.nhs_numbers or self.postcodes)


def subject_fields(text: str) -> SubjectFields:
    """The subject's names, dates of birth, NHS numbers and postcodes from the text's head."""
    head = text[:HEAD_CHARS]
    lower = head.lower()
    return SubjectFields(
        names=_names(head),
        dates_of_birth=_distinct(
            _dob(m) for m in _at_labels(lower, _DOB_LABELS, _DOB_AT) if m is not None
        ),
        nhs_numbers=_distinct(
            n
            for m in _at_labels(lower, ("nhs",), _NHS_AT)
            if (n := re.sub(r"[ \-]", "", m["n"])) and nhs_number_valid(n)
        ),
        postcodes=_distinct(_postcodes(head)),
    )


def _at_labels(
    lower: str, labels: tuple[str, ...], pattern: re.Pattern[str]
) -> Iterable[re.Match[str]]:
    """The pattern matched at each place a label starts a word in the lowered head."""
    for label in labels:
        position = lower.find(label)
        while position >= 0:
            if (position == 0 or not lower[position - 1].isalnum()) and (
                match := pattern.match(lower, position)
            ):
                yield match
            position = lower.find(label, position + 1)


def _postcodes(head: str) -> Iterable[str]:
    for inward in _INWARD.finditer(head):
        start = inward.start()
        outward = _OUTWARD.search(head, max(0, start - 5), start)
        if outward is not None:
            yield f"{outward[1]} {inward[0]}"


def _distinct(values: Iterable[_T | None]) -> tuple[_T, ...]:
    out: list[_T] = []
    for value in values:
        if value is not None and value not in out:
            out.append(value)
    return tuple(out)


def _dob(match: re.Match[str]) -> date | None:
    if match["y"]:
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    elif match["iy"]:
        year, month, day = int(match["iy"]), int(match["im"]), int(match["id"])
    else:
        month = MONTHS.get(match["wm"].lower(), 0)
        year, day = int(match["wy"]), int(match["wd"])
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if 1900 <= born.year <= date.today().year else None


def _names(head: str) -> tuple[SubjectName, ...]:
    found: list[SubjectName] = []
    for match in _NAME_LINE.finditer(head):
        value = match["value"]
        end = _NAME_END.search(value)
        for name in parse_names(value[: end.start()] if end else value):
            if name not in found:
                found.append(name)
        if len(found) >= _MAX_NAMES:
            break
    return tuple(found[:_MAX_NAMES])


# Where a manifest title's parts meet: "Case note - home visit - Isla Mitchell", "Re: Amy Smith".
_TITLE_PARTS = re.compile(r"\s+[-\u2013\u2014|/]\s+|:\s*|\s*[()\[\]]\s*")


def title_names(title: str) -> tuple[SubjectName, ...]:
    """Every two-to-four-word run of a manifest title's parts read as a name. Most are not
    names ("Case note", "home visit"): the caller keeps only those that are a catalog
    person's, so a title can say who a document with no subject block is about."""
    found: list[SubjectName] = []
    for part in _TITLE_PARTS.split(title[:200]):
        for name in parse_names(part):
            if name.family and name not in found:
                found.append(name)
    return tuple(found[: _MAX_NAMES * 2])


def parse_names(written: str) -> list[SubjectName]:
    """People named in one label's value: "Zara Ali", "Ali, Zara", "Amy and Ben Smith"
    (siblings sharing the last word as family name). Words that are not names are dropped."""
    written = written.strip().strip(".:")
    if "," in written:  # "Ali, Zara": family name first
        family, _, given = written.partition(",")
        written = f"{given.strip()} {family.strip()}"
    parts = re.split(r"\s+(?:and|&)\s+", written)
    words_of = [
        [w for w in part.split() if _NAME_WORD.match(w) and w.lower() not in _NOT_NAMES]
        for part in parts
    ]
    # "Amy and Ben Smith": the family name is written once, after the last given name.
    family = words_of[-1][-1] if words_of and len(words_of[-1]) >= 2 else ""
    names: list[SubjectName] = []
    for words in words_of:
        if not words or len(words) > 4:
            continue
        if len(words) >= 2:
            names.append(SubjectName(" ".join(words[:-1]), words[-1]))
        elif family:
            names.append(SubjectName(words[0], family))
        else:
            names.append(SubjectName(words[0], ""))
    return names
