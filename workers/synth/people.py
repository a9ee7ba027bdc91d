"""Synthetic people and crosswalk (people.csv) for the synthetic archive."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from workers.sources.mapping import PEOPLE_FIELDS
from workers.synth.text import ADULT_NAMES, CHILD_NAMES, FAMILY_NAMES, TEAMS

# The contract's columns, plus `team`: an extra column kept, and the demo's allocations.
PEOPLE_COLUMNS = (*PEOPLE_FIELDS, "team")
UNKNOWN_PARIS_FLOOR = 900_000  # legacy PARIS IDs at or above this are never in the crosswalk


@dataclass(frozen=True)
class Person:
    """One migrated person: target CMS ID, legacy IDs and the facts a document may quote."""

    person_id: str
    target_system: str
    paris_ids: tuple[str, ...]
    carefirst_id: str  # empty when the person was never on CareFirst
    given_name: str
    family_name: str
    date_of_birth: date
    date_of_death: date | None
    nhs_number: str
    service: str
    team: str
    family: int  # siblings share a family number
    # The noisy archive only (workers/synth/noise.py): the household's address, and the
    # people.csv legacy_ids cell when the crosswalk is wrong (None: the true legacy IDs).
    address: str = ""
    crosswalk: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def legacy_ids(self) -> str:
        ids = [f"PARIS:{p}" for p in self.paris_ids]
        return ";".join(ids + ([f"CAREFIRST:{self.carefirst_id}"] if self.carefirst_id else []))


def nhs_check_digit(nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no valid number exists."""
    remainder = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    return None if check == 10 else (0 if check == 11 else check)


def is_valid_nhs(number: str) -> bool:
    """True for ten digits with a correct check digit that are not a placeholder run."""
    if len(number) != 10 or not number.isdigit() or len(set(number)) == 1:
        return False
    return nhs_check_digit(number[:9]) == int(number[9])


def _nhs_number(rng: random.Random, used: set[str]) -> str:
    # The 999 range is reserved by NHS England for test data, so no real patient can match.
    while True:
        nine = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(nine)
        number = f"{nine}{check}"
        if check is not None and is_valid_nhs(number) and number not in used:
            used.add(number)
            return number


def _unique(rng: random.Random, used: set[int], low: int, high: int) -> int:
    while (n := rng.randint(low, high)) in used:
        pass
    used.add(n)
    return n


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def make_people(
    rng: random.Random,
    count: int,
    *,
    child_names: tuple[str, ...] = CHILD_NAMES,
    adult_names: tuple[str, ...] = ADULT_NAMES,
    family_names: tuple[str, ...] = FAMILY_NAMES,
) -> list[Person]:
    """Children in sibling groups (Liquidlogic) and adults (Mosaic), with crosswalk IDs."""
    people: list[Person] = []
    used_nums: set[int] = set()
    used_nhs: set[str] = set()
    family = 0
    while len(people) < count:
        family += 1
        surname = rng.choice(family_names)
        # The first family is always two children, so sibling-group documents have someone.
        children = family == 1 or rng.random() < 0.6
        size = 2 if family == 1 else (rng.choice((1, 1, 2, 2, 3)) if children else 1)
        names = rng.sample(child_names if children else adult_names, k=size)
        for given in names[: count - len(people)]:
            num = _unique(rng, used_nums, 1000, UNKNOWN_PARIS_FLOOR - 1)
            paris = [str(num)]
            if rng.random() < 0.06:  # a person recorded twice in PARIS, merged on migration
                paris.append(str(_unique(rng, used_nums, 1000, UNKNOWN_PARIS_FLOOR - 1)))
            carefirst = ""
            if rng.random() < 0.3:
                carefirst = rng.choice("ABCDEFGH") + str(_unique(rng, used_nums, 100, 9999))
            if children:
                born, died = _day(rng, date(2003, 1, 1), date(2021, 12, 31)), None
            else:
                born = _day(rng, date(1928, 1, 1), date(1985, 12, 31))
                died = (
                    _day(rng, date(2016, 1, 1), date(2023, 12, 31)) if rng.random() < 0.1 else None
                )
            pid = _unique(rng, used_nums, 1, 999_999)
            people.append(
                Person(
                    person_id=f"LCS{pid:06d}" if children else f"MOS{pid:06d}",
                    target_system="Liquidlogic" if children else "Mosaic",
                    paris_ids=tuple(paris),
                    carefirst_id=carefirst,
                    given_name=given,
                    family_name=surname,
                    date_of_birth=born,
                    date_of_death=died,
                    nhs_number=_nhs_number(rng, used_nhs),
                    service="children" if children else "adults",
                    team=rng.choice(TEAMS[:4] if children else TEAMS[4:]),
                    family=family,
                )
            )
    return people


def write_people(path: Path, people: list[Person], *, addresses: bool = False) -> None:
    """Write people.csv (UTF-8 with a header); `addresses` adds an `address` column."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow((*PEOPLE_COLUMNS, "address") if addresses else PEOPLE_COLUMNS)
        for p in people:
            died = p.date_of_death.isoformat() if p.date_of_death else ""
            out.writerow(
                [
                    p.person_id,
                    p.target_system,
                    p.legacy_ids if p.crosswalk is None else p.crosswalk,
                    p.given_name,
                    p.family_name,
                    p.date_of_birth.isoformat(),
                    died,
                    p.nhs_number,
                    p.service,
                    p.team,
                    *([p.address] if addresses else []),
                ]
            )
