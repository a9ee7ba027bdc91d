"""Small checks the link step makes with the subject fields, before any model: whether two
dates of birth are the same (allowing a day/month swap), which catalog people a text names
with their date of birth, and a reviewer's earlier resolution of a legacy ID."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models_matching import LegacyIdResolution
from catalog.person_facts import people_born_on
from domain.person_names import name_tokens, other_forms
from workers.subject import SubjectFields


def same_birth_date(written: date, known: date) -> bool:
    """Equal, or equal with day and month swapped (a US-style or mis-keyed date)."""
    if written == known:
        return True
    return (written.year, written.month, written.day) == (known.year, known.day, known.month)


def _given_agrees(written: str, known: str) -> bool:
    a, b = name_tokens(written), name_tokens(known)
    if not a or not b:
        return False
    return a[0] == b[0] or a[0] in other_forms(b[0])


def _family_agrees(written: str, known: str) -> bool:
    return "".join(name_tokens(written)) == "".join(name_tokens(known)) != ""


def people_named(session: Session, subject: SubjectFields) -> list[str]:
    """Catalog people whose full name (nicknames allowed) and exact date of birth the text's
    subject block gives: identification strong enough to say a document is about them.
    (Read from the session's people, which the pipeline prefetches a group at a time.)"""
    if not subject.names or not subject.dates_of_birth:
        return []
    return sorted(
        p.person_id
        for p in people_born_on(session, subject.dates_of_birth)
        if any(
            _family_agrees(n.family, p.family_name) and _given_agrees(n.given, p.given_name)
            for n in subject.names
        )
    )


def legacy_resolution(session: Session, system: str, legacy_id: str) -> tuple[str, str] | None:
    """(person ID, reviewer) a reviewer resolved this legacy ID to, in an earlier round."""
    with session.no_autoflush:
        row = session.execute(
            select(LegacyIdResolution.person_id, LegacyIdResolution.decided_by).where(
                LegacyIdResolution.system == system, LegacyIdResolution.legacy_id == legacy_id
            )
        ).first()
    return (row[0], row[1]) if row else None
