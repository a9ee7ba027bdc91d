"""People's retention facts: date of birth and death from their columns, the rest from the
extra columns of people.csv (kept in Person.extra), so a later round can add or correct them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import Person
from domain.values import parse_date as parse_legacy_date

Facts = dict[str, date | bool | str]

DATE_FACTS = frozenset(
    {
        "date_of_birth",
        "date_of_death",
        "case_closure_date",
        "adoption_order_date",
        "foster_approval_end",
        "last_contact",
        "treatment_end",
        "complaint_closure_date",
        "alleged_perpetrator_date_of_birth",
    }
)
FLAG_FACTS = frozenset(
    {
        "looked_after",
        "adopted",
        "childrens_home",
        "foster_carer",
        "foster_refused",
        "care_leaver",
        "child_protection",
        "lado_substantiated",
        "mental_health",
    }
)
_TRUE = frozenset({"1", "y", "yes", "true", "t"})
_FALSE = frozenset({"0", "n", "no", "false", "f", ""})
_FORMATS = ("%d/%m/%Y", "%d-%b-%Y", "%d-%b-%y", "%d.%m.%Y")
DEFAULT_JURISDICTION = "england"


def parse_date(value: object) -> date | None:
    """A date from ISO 8601 or a UK format; None where empty or unreadable (an unknown fact)."""
    if isinstance(value, date):
        return value
    try:
        return parse_legacy_date(str(value or ""), _FORMATS, excel_serial=False)
    except ValueError:
        return None


def parse_flag(value: object) -> bool | None:
    """True, False, or None where the value says neither (unknown)."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in _TRUE:
        return True
    return False if text in _FALSE else None


def facts_of(
    *,
    date_of_birth: date | None,
    date_of_death: date | None,
    service: str,
    extra: Mapping[str, Any] | None,
) -> Facts:
    """One person's facts; an unknown or unreadable fact is simply absent."""
    facts: Facts = {"jurisdiction": DEFAULT_JURISDICTION}
    for key, raw in (extra or {}).items():
        name = str(key).strip().lower()
        value: date | bool | str | None
        if name in DATE_FACTS:
            value = parse_date(raw)
        elif name in FLAG_FACTS:
            value = parse_flag(raw)
        else:
            value = str(raw).strip().lower() or None
        if value is not None:
            facts[name] = value
    if date_of_birth is not None:
        facts["date_of_birth"] = date_of_birth
    if date_of_death is not None:
        facts["date_of_death"] = date_of_death
    if service:
        facts["service"] = service.lower()
    return facts


def load_facts(session: Session, person_ids: Iterable[str] | None = None) -> dict[str, Facts]:
    """Facts of these people (or everyone), read in one query per IN list of IDs."""
    columns = (Person.person_id, Person.date_of_birth, Person.date_of_death, Person.service)
    query = select(*columns, Person.extra)
    if person_ids is None:
        chunks: list[list[str] | None] = [None]
    else:
        wanted = sorted(set(person_ids))
        chunks = [wanted[i : i + IN_LIST_MAX] for i in range(0, len(wanted), IN_LIST_MAX)]
    result: dict[str, Facts] = {}
    for chunk in chunks:
        q = query if chunk is None else query.where(Person.person_id.in_(chunk))
        for pid, dob, dod, service, extra in session.execute(q):
            result[pid] = facts_of(
                date_of_birth=dob, date_of_death=dod, service=service, extra=extra
            )
    return result
