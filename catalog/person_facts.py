"""What the link step checks about people (names, date of birth, NHS number), read once per
group of documents and kept for the session instead of a query per document.

A load's link step asks, for each document, about the people its crosswalk links and the
people born on the dates of birth its text gives (workers/link.py). A query per document made
person matching cost 13,700 statements for 2,000 documents; `prefetch` reads a group's people
in one query per IN_LIST_MAX values. Kept as the crosswalk is (catalog/people.py): emptied
whenever a person is written in this session (docs/decisions/0031).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import Person
from catalog.session_state import PEOPLE_FACTS, PeopleSeen


class PersonFacts(NamedTuple):
    person_id: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    nhs_number: str


_COLUMNS = (
    Person.person_id,
    Person.given_name,
    Person.family_name,
    Person.date_of_birth,
    Person.nhs_number,
)


def _keep(seen: PeopleSeen, rows: Iterable[tuple[str, str, str, date | None, str | None]]) -> None:
    for pid, given, family, born, nhs in rows:
        seen.by_id[pid] = (pid, given or "", family or "", born, nhs or "")
        if born is not None and born in seen.by_birth_date and pid not in seen.by_birth_date[born]:
            seen.by_birth_date[born].append(pid)


def prefetch(
    session: Session, *, person_ids: Iterable[str] = (), dates_of_birth: Iterable[date] = ()
) -> None:
    """Read everyone born on these dates and the people with these IDs, where not kept yet:
    one query per IN_LIST_MAX values."""
    seen = PEOPLE_FACTS.setdefault(session)
    dates = sorted({d for d in dates_of_birth if d not in seen.by_birth_date})
    with session.no_autoflush:  # people are written before documents are linked
        for start in range(0, len(dates), IN_LIST_MAX):
            chunk = dates[start : start + IN_LIST_MAX]
            for born in chunk:
                seen.by_birth_date[born] = []
            _keep(seen, session.execute(select(*_COLUMNS).where(Person.date_of_birth.in_(chunk))))
        ids = sorted({p for p in person_ids if p not in seen.by_id})
        for start in range(0, len(ids), IN_LIST_MAX):
            id_chunk = ids[start : start + IN_LIST_MAX]
            for pid in id_chunk:
                seen.by_id[pid] = None
            _keep(seen, session.execute(select(*_COLUMNS).where(Person.person_id.in_(id_chunk))))


def person_facts(session: Session, person_id: str) -> PersonFacts | None:
    prefetch(session, person_ids=[person_id])
    row = PEOPLE_FACTS.setdefault(session).by_id.get(person_id)
    return PersonFacts(*row) if row is not None else None


def people_born_on(session: Session, dates_of_birth: Iterable[date]) -> list[PersonFacts]:
    """Everyone born on any of these dates."""
    wanted = list(dict.fromkeys(dates_of_birth))
    prefetch(session, dates_of_birth=wanted)
    seen = PEOPLE_FACTS.setdefault(session)
    rows = (seen.by_id.get(pid) for born in wanted for pid in seen.by_birth_date.get(born, ()))
    return [PersonFacts(*row) for row in rows if row is not None]
