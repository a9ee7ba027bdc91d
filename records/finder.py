"""Finding a person: by name, date of birth, NHS number, person ID or any system's legacy ID,
only among the people the caller may see (decision 0030).

Who may be seen is records/access.py's rule (teams' allocations, break-glass, restricted
classes), applied before anything is counted: a person outside the caller's access is not in
the hits, the total or the audit's list of people shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from catalog import access as access_rows
from catalog import audit
from catalog.db import IN_LIST_MAX
from catalog.models import LegacyId, Person
from domain.values import normalise_legacy_id
from indexer.base import check_window
from records.access import TEAM_ROLES, Caller, hidden_people, may_see_person
from records.finder_query import PersonQuery, parse
from records.name_index import name_index

# An identifier that matches is surer than any name: it sorts first.
IDENTIFIER_SCORE = 100.0


def _identifier_matches(session: Session, query: PersonQuery) -> dict[str, tuple[float, str]]:
    found: dict[str, tuple[float, str]] = {}
    if query.nhs_number:
        for pid in session.scalars(
            select(Person.person_id).where(Person.nhs_number == query.nhs_number)
        ):
            found[pid] = (IDENTIFIER_SCORE, "NHS number")
    words = {w for w in query.identifiers} | {w.upper() for w in query.identifiers}
    if words:
        for pid in session.scalars(select(Person.person_id).where(Person.person_id.in_(words))):
            found.setdefault(pid, (IDENTIFIER_SCORE, "person ID"))
    legacy: list[ColumnElement[bool]] = [
        LegacyId.legacy_id.in_({normalise_legacy_id(w) for w in query.identifiers})
    ]
    if query.system_id:
        system, legacy_id = query.system_id
        legacy.append((LegacyId.system == system) & (LegacyId.legacy_id == legacy_id))
    if query.identifiers or query.system_id:
        rows = session.execute(
            select(LegacyId.person_id, LegacyId.system, LegacyId.legacy_id).where(or_(*legacy))
        )
        for pid, system, legacy_id in rows:
            found.setdefault(pid, (IDENTIFIER_SCORE, f"legacy ID {system} {legacy_id}"))
    return found


def _name_matches(session: Session, query: PersonQuery) -> dict[str, tuple[float, str]]:
    if not query.names and not query.date_of_birth:
        return {}
    scores = name_index(session).search(query.names, query.date_of_birth)
    words = len(query.names)
    if not words:
        return {pid: (score, "date of birth") for pid, score in scores.items()}
    born = " and date of birth" if query.date_of_birth else ""
    return {
        pid: (score, f"name{born}" if score >= words else f"name{born}, spelt differently")
        for pid, score in scores.items()
    }


def _people_json(session: Session, person_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    people = {
        p.person_id: p
        for p in session.scalars(select(Person).where(Person.person_id.in_(list(person_ids))))
    }
    legacy: dict[str, list[str]] = {}
    for row in session.scalars(
        select(LegacyId)
        .where(LegacyId.person_id.in_(list(person_ids)))
        .order_by(LegacyId.system, LegacyId.legacy_id)
    ):
        legacy.setdefault(row.person_id, []).append(f"{row.system}:{row.legacy_id}")
    return {
        pid: {
            "person_id": pid,
            "name": f"{p.given_name} {p.family_name}".strip() or pid,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
            "nhs_number": p.nhs_number,
            "target_system": p.target_system,
            "service": p.service,
            "legacy_ids": legacy.get(pid, []),
        }
        for pid, p in people.items()
    }


def _sort_key(session: Session, person_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(family, given) of each of these people that the catalog holds, for sorting by name."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(person_ids), IN_LIST_MAX):
        rows = session.execute(
            select(Person.person_id, Person.family_name, Person.given_name).where(
                Person.person_id.in_(person_ids[start : start + IN_LIST_MAX])
            )
        )
        found.update((pid, (family.casefold(), given.casefold())) for pid, family, given in rows)
    return found


def find_people(
    session: Session,
    *,
    caller: Caller,
    text: str,
    limit: int = 20,
    offset: int = 0,
    identifiers_only: bool = False,
) -> dict[str, Any]:
    """The people the search's words find that the caller may see, surest first: an identifier
    (NHS number, person ID, legacy ID) before a name, an exact name before a near one.
    `identifiers_only`: no names or dates (the document search's box asks this)."""
    check_window(limit, offset)
    query = parse(text)
    found = _identifier_matches(session, query)
    if not identifiers_only:
        for pid, match in _name_matches(session, query).items():
            found.setdefault(pid, match)
    hidden = hidden_people(session, caller)
    visible = [pid for pid in found if may_see_person(caller, pid, hidden)]
    if len(visible) > 2 * (limit + offset):
        # Sorting by name needs the names: only the best-scored share of a long list is read.
        visible.sort(key=lambda pid: -found[pid][0])
        cut = found[visible[limit + offset - 1]][0]
        head = [pid for pid in visible if found[pid][0] >= cut]
    else:
        head = visible
    names = _sort_key(session, head) if head else {}
    head.sort(key=lambda pid: (-found[pid][0], names.get(pid, ("", "")), pid))
    page = head[offset : offset + limit]
    details = _people_json(session, page) if page else {}
    hits = [
        {**details[pid], "matched_on": found[pid][1], "score": round(found[pid][0], 3)}
        for pid in page
        if pid in details
    ]
    audit.record(
        session,
        actor=caller.user_id,
        action="find_people",
        target_type="query",
        target_id=query.text[:300],
        person_ids=page,
        on_behalf_of=caller.on_behalf_of,
        why=caller.why(page),
        detail={"total": len(visible), "offset": offset},
    )
    return {"total": len(visible), "hits": hits}


def caseload(
    session: Session, *, caller: Caller, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """The people allocated to the caller's teams (a practitioner's or team manager's
    caseload), by family name; empty for roles that have no teams' people."""
    check_window(limit, offset)
    if not caller.roles & TEAM_ROLES or not caller.teams:
        return {"total": 0, "hits": []}
    allocated = sorted(access_rows.allocated_people(session, caller.teams))
    hidden = hidden_people(session, caller)
    wanted = [p for p in allocated if may_see_person(caller, p, hidden)]
    # An allocation may name a person not loaded yet: not listed (nor counted) until loaded.
    names = _sort_key(session, wanted)
    known = sorted(names, key=lambda pid: (names[pid], pid))
    total = len(known)
    page = known[offset : offset + limit]
    details = _people_json(session, page) if page else {}
    audit.record(
        session,
        actor=caller.user_id,
        action="view_caseload",
        target_type="team",
        target_id=",".join(sorted(caller.teams))[:300],
        person_ids=page,
        on_behalf_of=caller.on_behalf_of,
        detail={"total": total, "offset": offset},
    )
    return {"total": total, "hits": [details[p] for p in page if p in details]}
