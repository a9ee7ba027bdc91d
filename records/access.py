"""Who may see what: the one place access is decided (docs/decisions/0009-access-control.md).

A Caller is resolved once per request (or CLI command). Every read in records/reads.py asks
this module before it touches a record, and a search carries the caller's filter inside the
index query, so totals and facets count only what the caller may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit
from catalog import documents as docs
from catalog.models import Document, Person
from catalog.models_access import BreakGlass
from core.errors import InvalidInput, NotFound
from indexer.base import SearchQuery

# Roles whose work spans every person: they are not limited to their teams' allocations.
UNRESTRICTED_ROLES = frozenset({"migration_officer", "ig_officer", "administrator"})
# Roles that see the people allocated to their teams (and break glass for others).
TEAM_ROLES = frozenset({"practitioner", "team_manager"})
# Roles that work the exception queue, where documents are on nobody yet.
QUEUE_ROLES = frozenset({"migration_officer", "administrator"})
MIN_REASON = 10  # a break-glass reason must say something


@dataclass(frozen=True)
class Caller:
    """An authenticated user and what they may see. `people` None means every person."""

    user_id: str
    roles: frozenset[str]
    teams: frozenset[str] = frozenset()
    grants: frozenset[str] = frozenset()
    people: frozenset[str] | None = frozenset()
    # person_id -> reason, for the people reachable only through an unexpired break-glass.
    break_glass: Mapping[str, str] = field(default_factory=dict)
    on_behalf_of: str = ""
    # A service account (the static API token, the CLI's local administrator): nobody in
    # particular, so never a reviewer or executor of a disposal, nor a hold's releaser
    # (require_person).
    service: bool = False

    @property
    def is_admin(self) -> bool:
        return "administrator" in self.roles

    @property
    def include_unlinked(self) -> bool:
        return bool(self.roles & QUEUE_ROLES)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def why(self, person_ids: Iterable[str]) -> str:
        """The audit's "why" for a read touching these people: the break-glass reason, if any."""
        reasons = sorted({self.break_glass[p] for p in person_ids if p in self.break_glass})
        return "; ".join(f"break-glass: {r}" for r in reasons)


def service_caller(user_id: str) -> Caller:
    """The static API token and the CLI: a local administrator for scripts. Its name is fixed
    by the face (`api:token`, `cli:<login>`), never taken from the request."""
    return Caller(
        user_id=user_id,
        roles=frozenset({"administrator"}),
        grants=frozenset(rows.RESTRICTIONS),
        people=None,
        service=True,
    )


def require_person(session: Session, caller: Caller, what: str) -> None:
    """Refuse a service account (audited): some decisions need someone to answer for them."""
    if caller.service:
        _deny(
            session, caller, "function", what, f"{what} needs a named person, not a service account"
        )


def resolve_caller(
    session: Session, username: str, *, roles: Iterable[str], teams: Iterable[str], now: datetime
) -> Caller:
    """A user's Caller: roles and teams from the session's user row or the OIDC token; grants,
    allocations and break-glass from the catalog, as they stand now. A deactivated local user
    is nobody, even with a valid OIDC token: no role, no team, so no record."""
    role_set = frozenset(r for r in roles if r in rows.ROLES)
    team_set = frozenset(teams)
    if rows.is_deactivated(session, username):
        role_set, team_set = frozenset(), frozenset()
    people: frozenset[str] | None = None
    only_by_glass: dict[str, str] = {}
    if not role_set & UNRESTRICTED_ROLES:
        people = frozenset()  # no role that works with people: nobody
    if not role_set & UNRESTRICTED_ROLES and role_set & TEAM_ROLES:
        glass = rows.active_break_glass(session, username, now)
        team_people = rows.allocated_people(session, team_set)
        people = team_people | frozenset(glass)
        only_by_glass = {p: g.reason for p, g in glass.items() if p not in team_people}
    admin = "administrator" in role_set
    return Caller(
        user_id=username,
        roles=role_set,
        teams=team_set,
        grants=frozenset(rows.RESTRICTIONS)
        if admin
        else rows.active_grants(session, username, now),
        people=people,
        break_glass=only_by_glass,
    )


def search_filter(caller: Caller, query: SearchQuery) -> SearchQuery:
    """The query with the caller's access filter set; whatever the face passed is replaced."""
    excluded = rows.restriction_tags(r for r in rows.RESTRICTIONS if r not in caller.grants)
    return replace(
        query,
        allowed_person_ids=None if caller.people is None else tuple(sorted(caller.people)),
        include_unlinked=caller.include_unlinked,
        excluded_access_tags=excluded,
    )


def _deny(session: Session, caller: Caller, target_type: str, target_id: str, why: str) -> NoReturn:
    """Refuse by role (403): it says what the caller's role cannot do, nothing about a record."""
    audit.refuse(
        session,
        actor=caller.user_id,
        target_type=target_type,
        target_id=target_id,
        why=why,
        on_behalf_of=caller.on_behalf_of,
    )


def not_found_message(target_type: str, target_id: str) -> str:
    """The one answer for a record that is missing or outside the caller's access."""
    shown = repr(target_id) if target_type == "person" else target_id
    return f"{target_type} {shown} not found"


def _hide(
    session: Session,
    caller: Caller,
    target_type: str,
    target_id: str,
    *,
    action: str,
    why: str,
    person_ids: Iterable[str] = (),
) -> NoReturn:
    """Refuse a read of a record as if it did not exist, so an answer never tells a caller what
    exists outside their access; the audit event keeps the truth (the reason, the people)."""
    audit.refuse(
        session,
        actor=caller.user_id,
        target_type=target_type,
        target_id=target_id,
        why=why,
        action=action,
        person_ids=person_ids,
        on_behalf_of=caller.on_behalf_of,
        answer=NotFound(not_found_message(target_type, target_id)),
    )


def require_role(session: Session, caller: Caller, roles: Iterable[str], what: str) -> None:
    wanted = frozenset(roles)
    if not caller.roles & wanted:
        _deny(
            session, caller, "function", what, f"{what} needs one of: {', '.join(sorted(wanted))}"
        )


def _person_refusal(session: Session, caller: Caller, person_id: str) -> str:
    """Why the caller may not see this person's record; empty where they may."""
    if caller.people is not None and person_id not in caller.people:
        return "this person is not allocated to your teams"
    missing = rows.person_restrictions(session, [person_id]) - caller.grants
    return f"needs a grant for {', '.join(sorted(missing))}" if missing else ""


def hidden_people(session: Session, caller: Caller) -> frozenset[str]:
    """People marked with a restricted class the caller holds no grant for: check_person's
    rule for many people at once (the person finder leaves them out, even from its count)."""
    missing = [r for r in rows.RESTRICTIONS if r not in caller.grants]
    return rows.people_restricted_to(session, missing) if missing else frozenset()


def may_see_person(caller: Caller, person_id: str, hidden: frozenset[str]) -> bool:
    """Whether the caller may see this person, `hidden` from hidden_people (no audit)."""
    return (caller.people is None or person_id in caller.people) and person_id not in hidden


def check_person(session: Session, caller: Caller, person_id: str) -> Person:
    """The person, if the caller may see their record; else not found, as if missing."""
    person = session.get(Person, person_id)
    if person is None:
        _hide(session, caller, "person", person_id, action="not_found", why="no such person")
    why = _person_refusal(session, caller, person_id)
    if why:
        _hide(
            session,
            caller,
            "person",
            person_id,
            action="access_denied",
            why=why,
            person_ids=[person_id],
        )
    return person


def _document_refusal(caller: Caller, people: Sequence[str], restrictions: Iterable[str]) -> str:
    """Why the caller may not see a document on these people with these restricted classes
    (its family's included: catalog.access.restrictions_for); empty where they may. The same
    rule as the index filter (search_filter)."""
    if not people and not caller.include_unlinked:
        return "this document is on no person's record yet"
    if people and caller.people is not None and not caller.people.intersection(people):
        return "this document is on no person in your teams"
    missing = set(restrictions) - caller.grants
    return f"needs a grant for {', '.join(sorted(missing))}" if missing else ""


def check_document(session: Session, caller: Caller, document_id: int) -> list[str]:
    """The document's people, if the caller may see it; else not found, as if missing."""
    target = str(document_id)
    document = session.get(Document, document_id)
    if document is None:
        _hide(session, caller, "document", target, action="not_found", why="no such document")
    people = docs.linked_person_ids(session, document_id)
    why = _document_refusal(caller, people, rows.document_restrictions(session, document))
    if why:
        _hide(
            session, caller, "document", target, action="access_denied", why=why, person_ids=people
        )
    return people


def visible_documents(
    session: Session, caller: Caller, documents: Sequence[Document]
) -> list[Document]:
    """Those of the documents the caller may see (check_document's rule, without an audit)."""
    restricted = rows.restrictions_for(session, documents)
    return [
        d
        for d in documents
        if not _document_refusal(caller, docs.linked_person_ids(session, d.id), restricted[d.id])
    ]


def visible_restrictions(caller: Caller, restrictions: Iterable[str]) -> bool:
    return not set(restrictions) - caller.grants


def break_glass(
    session: Session,
    caller: Caller,
    person_id: str,
    *,
    reason: str,
    minutes: int,
    max_minutes: int,
    now: datetime,
) -> BreakGlass:
    """Open emergency access to one person: needs a reason, expires, and raises an alert."""
    if not caller.roles & TEAM_ROLES:
        _deny(
            session,
            caller,
            "person",
            person_id,
            "break-glass is for practitioners and team managers",
        )
    if len(reason.strip()) < MIN_REASON:
        raise InvalidInput(f"break-glass needs a reason of at least {MIN_REASON} characters")
    if not 1 <= minutes <= max_minutes:
        raise InvalidInput(f"break-glass lasts between 1 and {max_minutes} minutes")
    if session.get(Person, person_id) is None:
        # Break-glass exists to reach people outside the caller's teams, so a person it finds
        # is no secret from them; only a missing one is not found (and the probe audited).
        _hide(session, caller, "person", person_id, action="not_found", why="no such person")
    grant = BreakGlass(
        username=caller.user_id,
        person_id=person_id,
        reason=reason.strip(),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(grant)
    audit.record(
        session,
        actor=caller.user_id,
        action="break_glass",
        target_type="person",
        target_id=person_id,
        person_ids=[person_id],
        on_behalf_of=caller.on_behalf_of,
        why=reason.strip(),
        detail={"alert": True, "expires_at": grant.expires_at.isoformat(), "minutes": minutes},
    )
    return grant
