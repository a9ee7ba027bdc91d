"""People are written a chunk at a time: new, unchanged and changed people and their legacy
IDs come out as one at a time did, in a bounded number of statements."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import event, select

from catalog.db import session_factory
from catalog.models import LegacyId, Person
from catalog.people import PersonRow, persons_for_legacy_id, upsert_people
from catalog.schema import migrate
from core.settings import Settings

NOW = datetime(2026, 12, 7, 12, 0)


def _row(number: int, *legacy: str) -> PersonRow:
    return PersonRow(
        person_id=f"MOS{number}",
        target_system="Mosaic",
        given_name="Ann",
        family_name=f"Ash{number}",
        date_of_birth=date(2010, 1, 1 + number % 28),
        date_of_death=None,
        nhs_number="",
        service="children",
        extra={},
        legacy_ids=frozenset(("PARIS", legacy_id) for legacy_id in legacy),
    )


def test_new_unchanged_and_changed_people(settings: Settings) -> None:
    migrate(settings.database_url)
    rows = [_row(n, f"{n}00") for n in range(2000)]  # more than one IN-list
    with session_factory(settings.database_url)() as session:
        statements: list[str] = []
        event.listen(
            session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        assert upsert_people(session, rows, NOW) == [True] * 2000
        session.commit()
        assert len(statements) < 20, len(statements)  # not one or more a person
        assert persons_for_legacy_id(session, "PARIS", "170000") == ["MOS1700"]
    later = datetime(2026, 12, 8)
    renamed = replace(rows[5], family_name="Ashe")
    moved = replace(rows[6], legacy_ids=frozenset({("PARIS", "6001"), ("CAREFIRST", "A6")}))
    dropped = replace(rows[7], legacy_ids=frozenset())
    again = [rows[4], renamed, moved, dropped]
    with session_factory(settings.database_url)() as session:
        assert upsert_people(session, again, later) == [False, True, True, True]
        session.commit()
        by_id = {p.person_id: p for p in session.scalars(select(Person))}
        assert by_id["MOS5"].family_name == "Ashe" and by_id["MOS5"].updated_at == later
        assert by_id["MOS4"].updated_at == NOW  # unchanged, untouched
        legacy = {
            (row.person_id, row.system, row.legacy_id) for row in session.scalars(select(LegacyId))
        }
        assert ("MOS6", "CAREFIRST", "A6") in legacy and ("MOS6", "PARIS", "600") not in legacy
        assert not any(person == "MOS7" for person, _, _ in legacy)
        assert len(legacy) == 2000 - 1 + 1  # MOS6 gained one, MOS7 lost its one


def test_a_person_twice_in_one_call_is_refused(settings: Settings) -> None:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session, pytest.raises(ValueError):
        upsert_people(session, [_row(1), _row(1)], NOW)
