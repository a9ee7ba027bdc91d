"""Small checks the link step makes with the subject fields, before any model: whether two
dates of birth are the same (allowing a day/month swap), which catalog people a text names
with their date of birth, and a reviewer's earlier resolution of a legacy ID."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Person
from catalog.models_matching import LegacyIdResolution
from catalog.person_facts import PersonFacts, people_born_on
from domain.person_names import name_tokens, other_forms
from workers.matching.records import soundex
from workers.subject import SubjectFields, SubjectName


def same_birth_date(written: date, known: date) -> bool:
    """Equal, or equal with day and month swapped (a US-style or mis-keyed date)."""
    if written == known:
        return True
    return (written.year, written.month, written.day) == (known.year, known.day, known.month)


def _swapped(written: date) -> date | None:
    """The date with day and month swapped, where that is another valid date."""
    if written.day > 12 or written.day == written.month:
        return None
    return date(written.year, written.day, written.month)


def _given_agrees(written: str, known: str) -> bool:
    a, b = name_tokens(written), name_tokens(known)
    if not a or not b:
        return False
    return a[0] == b[0] or a[0] in other_forms(b[0])


def _family_agrees(written: str, known: str) -> bool:
    return "".join(name_tokens(written)) == "".join(name_tokens(known)) != ""


def _one_slip(a: str, b: str) -> bool:
    """At most one keying slip apart: a letter changed, dropped, added, or two swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )  # fmt: skip
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _sounds_alike(a: str, b: str) -> bool:
    """The same name as far as a writer's slips and spellings go: one keying slip or the same
    Soundex key (Leila and Layla, Ahmed and Ahmad, Yusuf and Yousef, Mohamed and Mohammed).
    Different names sometimes share a key (Amy, Ann): that errs towards not withholding."""
    return _one_slip(a, b) or soundex(a) == soundex(b) is not None


def _given_close(written: str, known: str) -> bool:
    """The same given name: the name or another form of it (Stan for Stanley), as written or
    alike (_sounds_alike: "Stqn", a slip in the short form)."""
    a, b = name_tokens(written), name_tokens(known)
    if not a or not b:
        return False
    return any(_sounds_alike(a[0], form) for form in (b[0], *other_forms(b[0])))


def _family_close(written: str, known: str) -> bool:
    a, b = "".join(name_tokens(written)), "".join(name_tokens(known))
    return bool(a and b) and _sounds_alike(a, b)


def names_a_relative_instead(names: Sequence[SubjectName], given: str, family: str) -> bool:
    """Whether the text's subject block names someone of this person's family name but not
    this person, under any form or slip of their given name: a brother's or sister's paper on
    the wrong child's record (a wrong crosswalk entry, a misfiled sheet). Siblings named
    together ("Amy and Ben Smith") name each of them, so it holds only for the one left out.
    A name of another family never does (a typo in a surname, a parent's maiden name)."""
    if not given or not any(_family_agrees(n.family, family) for n in names):
        return False
    return not any(_given_close(n.given, given) for n in names)


def people_named(session: Session, subject: SubjectFields, *, alike: bool = False) -> list[str]:
    """Catalog people whose full name (nicknames allowed) and exact date of birth the text's
    subject block gives: identification strong enough to say a document is about them.
    `alike`: names compared as a writer varies them (slips, Soundex) and dates of birth with
    the day and month swapped too, for a reviewer's candidates; never to withhold a link
    (twins Amy and Ann share a Soundex key).
    (Read from the session's people, which the pipeline prefetches a group at a time.)"""
    if not subject.names or not subject.dates_of_birth:
        return []
    family, given = (_family_close, _given_close) if alike else (_family_agrees, _given_agrees)
    born = list(subject.dates_of_birth)
    if alike:
        born += [swapped for d in born if (swapped := _swapped(d)) is not None]
    return sorted(
        p.person_id
        for p in people_born_on(session, born)
        if any(
            family(n.family, p.family_name) and given(n.given, p.given_name) for n in subject.names
        )
    )


def names_any(names: Iterable[SubjectName], people: Sequence[PersonFacts]) -> bool:
    """Whether any of these names is one of these people's, allowing other forms, spellings
    and slips of both given and family name (a writer's, not a different person's)."""
    return any(
        _family_close(n.family, p.family_name) and _given_close(n.given, p.given_name)
        for n in names
        for p in people
    )


def people_called(session: Session, names: Sequence[SubjectName]) -> list[str]:
    """Catalog people whose full name (given name or another form of it, and family name) one
    of these names is. Asked only where nothing else says who a document is about, so one
    query a document is rare (decision 0031)."""
    families = sorted({n.family.lower() for n in names if n.family})
    if not families:
        return []
    with session.no_autoflush:
        rows = session.execute(
            select(Person.person_id, Person.given_name, Person.family_name).where(
                func.lower(Person.family_name).in_(families)
            )
        ).all()
    return sorted(
        pid
        for pid, given, family in rows
        if any(_family_agrees(n.family, family) and _given_agrees(n.given, given) for n in names)
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
