"""Reading and changing people and the crosswalk. Functions take a session and do not commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.models import LegacyId, Person
from catalog.session_state import CROSSWALK, PEOPLE_FACTS


def upsert_person(
    session: Session,
    *,
    person_id: str,
    target_system: str,
    given_name: str,
    family_name: str,
    date_of_birth: date | None,
    date_of_death: date | None,
    nhs_number: str,
    service: str,
    extra: dict[str, Any],
    legacy_ids: Iterable[tuple[str, str]],
    now: datetime,
) -> bool:
    """Create or update a person and replace their legacy IDs; True where anything changed."""
    CROSSWALK.pop(session)
    PEOPLE_FACTS.pop(session)
    person = session.get(Person, person_id)
    values = dict(
        target_system=target_system,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        date_of_death=date_of_death,
        nhs_number=nhs_number,
        service=service,
        extra=extra,
    )
    new = changed = person is None
    if person is None:
        person = Person(person_id=person_id, updated_at=now, **values)
        session.add(person)
        session.flush()
    else:
        for key, value in values.items():
            if getattr(person, key) != value:
                setattr(person, key, value)
                changed = True
        if changed:
            person.updated_at = now
    wanted = set(legacy_ids)
    # A new person has no legacy IDs yet (they reference the person): nothing to read or delete.
    existing = (
        set()
        if new
        else {
            (row.system, row.legacy_id)
            for row in session.scalars(select(LegacyId).where(LegacyId.person_id == person_id))
        }
    )
    if wanted != existing:
        changed = True
        if existing:
            session.execute(delete(LegacyId).where(LegacyId.person_id == person_id))
        session.add_all(
            LegacyId(system=s, legacy_id=i, person_id=person_id) for s, i in sorted(wanted)
        )
    return changed


_CROSSWALK_CACHE_SIZE = 200_000


def persons_for_legacy_id(session: Session, system: str, legacy_id: str) -> list[str]:
    """Every person the crosswalk maps this (normalised) legacy ID to.

    Cached for the session (a load's runner session sees thousands of rows on the same
    people); upsert_person clears the cache, so a session never reads a stale crosswalk.
    """
    cache = CROSSWALK.setdefault(session)
    key = (system, legacy_id)
    if key not in cache:
        if len(cache) >= _CROSSWALK_CACHE_SIZE:
            cache.clear()
        rows = session.scalars(
            select(LegacyId.person_id).where(
                LegacyId.system == system, LegacyId.legacy_id == legacy_id
            )
        )
        cache[key] = sorted(set(rows))
    return cache[key]


# NHS numbers share the crosswalk's cache under a system name no source system has (names are
# stripped): a realistic load looks up the number in 40% of its documents, 0.3 ms a lookup.
_NHS_NUMBER_KEY = " nhs_number"


def persons_for_nhs_number(session: Session, nhs_number: str) -> list[str]:
    """Every person with this NHS number; cached for the session as persons_for_legacy_id."""
    cache = CROSSWALK.setdefault(session)
    key = (_NHS_NUMBER_KEY, nhs_number)
    if key not in cache:
        if len(cache) >= _CROSSWALK_CACHE_SIZE:
            cache.clear()
        rows = session.scalars(select(Person.person_id).where(Person.nhs_number == nhs_number))
        cache[key] = sorted(rows)
    return cache[key]


def get_person(session: Session, person_id: str) -> Person | None:
    return session.get(Person, person_id)
