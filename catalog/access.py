"""Reading and changing access rows: users, passwords, teams, allocations, grants, restrictions.

Functions take a session and do not commit. The access decisions themselves are made in
records/access.py; the restriction tags here are shared with indexer/documents.py, so the
search index and the point checks mark a document restricted for the same reasons.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import Document, DocumentLink
from catalog.models_access import (
    Allocation,
    BreakGlass,
    Grant,
    Restriction,
    Team,
    TeamMember,
    User,
    WebSession,
)
from core.errors import InvalidInput

ROLES = ("practitioner", "team_manager", "migration_officer", "ig_officer", "administrator")
RESTRICTIONS = ("adoption", "staff", "sensitive")
# Document types that are a restricted class by their nature, whoever they are on.
RESTRICTED_TYPES = {"adoption": "adoption"}
TAG_PREFIX = "restricted:"
# scrypt at n=2**14, r=8 costs ~16 MiB and tens of ms: slow for guessing, fine for a login.
_SCRYPT = (2**14, 8, 1)


def hash_password(password: str) -> str:
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    found = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(found.hex(), digest)


def ensure_team(session: Session, name: str, now: datetime) -> Team:
    if not name.strip():
        raise InvalidInput("a team needs a name")
    team = session.get(Team, name)
    if team is None:
        team = Team(name=name, created_at=now)
        session.add(team)
        session.flush()
    return team


# The audit's names for escr's own accounts: a service account (svc:mosaic), the CLI
# (cli:<login>), the static token (api:token). No person may be called so: routes and readers of
# the audit would take them for the account.
RESERVED_PREFIXES = ("svc:", "cli:", "api:")


def is_reserved_name(username: str) -> bool:
    return username.strip().lower().startswith(RESERVED_PREFIXES)


def upsert_user(
    session: Session,
    *,
    username: str,
    roles: Iterable[str],
    teams: Iterable[str],
    password: str | None,
    now: datetime,
) -> User:
    """Create or update a local user; a None password leaves the stored one as it is."""
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if is_reserved_name(username):
        raise InvalidInput(f"user names beginning {', '.join(RESERVED_PREFIXES)} are escr's own")
    if unknown or not roles:
        raise InvalidInput(f"roles must be some of {', '.join(ROLES)}; got {unknown or 'none'}")
    user = session.get(User, username)
    if user is None:
        user = User(username=username, roles=roles, created_at=now, password_hash="")
        session.add(user)
    user.roles = roles
    if password is not None:
        user.password_hash = hash_password(password)
        # A new password ends every session the old one opened (a leaked one above all).
        end_sessions(session, username)
    session.flush()
    for team in sorted(set(teams)):
        add_member(session, username, team, now)
    session.flush()
    return user


def add_member(session: Session, username: str, team: str, now: datetime) -> bool:
    """Put a local user in a team; False where they already were."""
    ensure_team(session, team, now)
    exists = session.scalar(
        select(TeamMember).where(TeamMember.username == username, TeamMember.team == team)
    )
    if exists is not None:
        return False
    session.add(TeamMember(username=username, team=team))
    session.flush()
    return True


def remove_member(session: Session, username: str, team: str) -> bool:
    """Take a local user out of a team; False where they were not in it."""
    removed = session.execute(
        delete(TeamMember).where(TeamMember.username == username, TeamMember.team == team)
    )
    return bool(getattr(removed, "rowcount", 0))


def set_teams(session: Session, username: str, teams: Iterable[str], now: datetime) -> None:
    """Make the user's teams exactly these (and no others)."""
    wanted = set(teams)
    for team in set(teams_of(session, username)) - wanted:
        remove_member(session, username, team)
    for team in sorted(wanted):
        add_member(session, username, team, now)


def teams_of(session: Session, username: str) -> list[str]:
    rows = session.scalars(select(TeamMember.team).where(TeamMember.username == username))
    return sorted(rows)


def end_sessions(session: Session, username: str) -> int:
    """Delete the user's web sessions: their next request with the old cookie must log in."""
    ended = session.execute(delete(WebSession).where(WebSession.username == username))
    return int(getattr(ended, "rowcount", 0) or 0)


def is_deactivated(session: Session, username: str) -> bool:
    """Whether a local user row says this user was deactivated (OIDC users have no row)."""
    return session.scalar(select(User.active).where(User.username == username)) is False


def set_active(session: Session, username: str, active: bool) -> User | None:
    """Deactivate (ending the user's sessions in this transaction) or reactivate a local user;
    None where there is no such user."""
    user = session.get(User, username)
    if user is None:
        return None
    user.active = active
    if not active:
        end_sessions(session, username)
    session.flush()
    return user


def allocate(
    session: Session, *, person_id: str, team: str, source: str, actor: str, now: datetime
) -> bool:
    """Allocate the person to the team; False where they already were."""
    if not person_id.strip():
        raise InvalidInput("an allocation needs a person ID")
    ensure_team(session, team, now)
    exists = session.scalar(
        select(Allocation).where(Allocation.person_id == person_id, Allocation.team == team)
    )
    if exists is not None:
        return False
    session.add(
        Allocation(person_id=person_id, team=team, source=source, created_by=actor, created_at=now)
    )
    session.flush()
    return True


def deallocate(session: Session, *, person_id: str, team: str) -> bool:
    """End the person's allocation to the team; False where there was none."""
    removed = session.execute(
        delete(Allocation).where(Allocation.person_id == person_id, Allocation.team == team)
    )
    return bool(getattr(removed, "rowcount", 0))


def teams_of_person(session: Session, person_id: str) -> list[str]:
    return sorted(session.scalars(select(Allocation.team).where(Allocation.person_id == person_id)))


def allocated_people(session: Session, teams: Iterable[str]) -> frozenset[str]:
    teams = list(teams)
    if not teams:
        return frozenset()
    return frozenset(
        session.scalars(select(Allocation.person_id).where(Allocation.team.in_(teams)))
    )


def active_grants(session: Session, username: str, now: datetime) -> frozenset[str]:
    rows = session.scalars(
        select(Grant.restriction).where(
            Grant.username == username, or_(Grant.expires_at.is_(None), Grant.expires_at > now)
        )
    )
    return frozenset(rows)


def add_grant(
    session: Session,
    *,
    username: str,
    restriction: str,
    reason: str,
    actor: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> Grant:
    """Grant a restricted class until `expires_at` (None: until revoked). Granting again
    replaces the reason and the expiry, so a grant is renewed or made open-ended in one step."""
    if restriction not in RESTRICTIONS:
        raise InvalidInput(f"restriction must be one of {', '.join(RESTRICTIONS)}")
    if not username.strip():
        raise InvalidInput("a grant needs a username")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("a grant's expiry must be in the future")
    grant = session.scalar(
        select(Grant).where(Grant.username == username, Grant.restriction == restriction)
    )
    if grant is None:
        grant = Grant(username=username, restriction=restriction)
        session.add(grant)
    grant.reason, grant.granted_by, grant.granted_at = reason, actor, now
    grant.expires_at = expires_at
    session.flush()
    return grant


def revoke_grant(session: Session, *, username: str, restriction: str) -> bool:
    """Take a grant away; False where the user held none. The audit log keeps its history."""
    removed = session.execute(
        delete(Grant).where(Grant.username == username, Grant.restriction == restriction)
    )
    return bool(getattr(removed, "rowcount", 0))


def grants_of(session: Session, username: str) -> list[Grant]:
    """Every grant the user holds, expired ones included (they show when they ended)."""
    return list(
        session.scalars(select(Grant).where(Grant.username == username).order_by(Grant.restriction))
    )


def active_break_glass(session: Session, username: str, now: datetime) -> dict[str, BreakGlass]:
    """person_id -> the newest unexpired break-glass grant of this user."""
    rows = session.scalars(
        select(BreakGlass)
        .where(BreakGlass.username == username, BreakGlass.expires_at > now)
        .order_by(BreakGlass.id)
    )
    return {row.person_id: row for row in rows}


def add_restriction(
    session: Session,
    *,
    target_type: str,
    target_id: str,
    restriction: str,
    reason: str,
    actor: str,
    now: datetime,
) -> bool:
    if target_type not in ("person", "document") or restriction not in RESTRICTIONS:
        raise InvalidInput("mark a person or document as one of " + ", ".join(RESTRICTIONS))
    exists = session.scalar(
        select(Restriction).where(
            Restriction.target_type == target_type,
            Restriction.target_id == target_id,
            Restriction.restriction == restriction,
        )
    )
    if exists is not None:
        return False
    session.add(
        Restriction(
            target_type=target_type,
            target_id=target_id,
            restriction=restriction,
            reason=reason,
            set_by=actor,
            set_at=now,
        )
    )
    session.flush()
    return True


def remove_restriction(
    session: Session, *, target_type: str, target_id: str, restriction: str
) -> bool:
    """Lift a mark; False where there was none."""
    row = session.scalar(
        select(Restriction).where(
            Restriction.target_type == target_type,
            Restriction.target_id == target_id,
            Restriction.restriction == restriction,
        )
    )
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def person_restrictions(session: Session, person_ids: Iterable[str]) -> frozenset[str]:
    ids = list(person_ids)
    if not ids:
        return frozenset()
    return frozenset(
        session.scalars(
            select(Restriction.restriction).where(
                Restriction.target_type == "person", Restriction.target_id.in_(ids)
            )
        )
    )


def people_restricted_to(session: Session, restrictions: Iterable[str]) -> frozenset[str]:
    """Every person marked with one of these restricted classes."""
    return frozenset(
        session.scalars(
            select(Restriction.target_id).where(
                Restriction.target_type == "person",
                Restriction.restriction.in_(list(restrictions)),
            )
        )
    )


def _own_restrictions(session: Session, documents: Sequence[Document]) -> dict[int, set[str]]:
    """Each document's restricted classes by its type, its own marks and its people's marks."""
    found: dict[int, set[str]] = {
        d.id: ({RESTRICTED_TYPES[d.doc_type]} if d.doc_type in RESTRICTED_TYPES else set())
        for d in documents
    }
    ids = list(found)
    for chunk in (ids[i : i + IN_LIST_MAX] for i in range(0, len(ids), IN_LIST_MAX)):
        marked = session.execute(
            select(Restriction.target_id, Restriction.restriction).where(
                Restriction.target_type == "document",
                Restriction.target_id.in_([str(i) for i in chunk]),
            )
        )
        for target_id, restriction in marked:
            found[int(target_id)].add(restriction)
        by_people = session.execute(
            select(DocumentLink.document_id, Restriction.restriction)
            .join(
                Restriction,
                (Restriction.target_type == "person")
                & (Restriction.target_id == DocumentLink.person_id),
            )
            .where(DocumentLink.document_id.in_(chunk))
        )
        for document_id, restriction in by_people:
            found[document_id].add(restriction)
    return found


def ancestors_of(session: Session, documents: Sequence[Document]) -> dict[int, list[Document]]:
    """Each document's parent, grandparent, ... (an email's attachment, an attachment's
    attachment): a level of parents per query, however many documents."""
    chains: dict[int, list[Document]] = {d.id: [] for d in documents}
    last = {d.id: d for d in documents}  # the topmost document reached so far
    while wanted := {d.parent_id for d in last.values() if d.parent_id is not None}:
        parents = _documents_by_id(session, wanted)
        step = {}
        for document_id, top in last.items():
            parent = parents.get(top.parent_id) if top.parent_id is not None else None
            # A parent seen already would be a cycle: stop rather than loop.
            if (
                parent is not None
                and parent.id != document_id
                and parent not in chains[document_id]
            ):
                chains[document_id].append(parent)
                step[document_id] = parent
        last = step
    return chains


def family_of(session: Session, document_ids: Iterable[int]) -> set[int]:
    """These documents and every descendant (attachments, their attachments): what must be
    re-indexed when a restriction or a type of these changes."""
    found = set(document_ids)
    frontier = set(found)
    while frontier:
        ids = sorted(frontier)
        children: set[int] = set()
        for chunk in (ids[i : i + IN_LIST_MAX] for i in range(0, len(ids), IN_LIST_MAX)):
            children.update(
                session.scalars(select(Document.id).where(Document.parent_id.in_(chunk)))
            )
        frontier = children - found
        found |= frontier
    return found


def _documents_by_id(session: Session, ids: Iterable[int]) -> dict[int, Document]:
    wanted = sorted(ids)
    found: dict[int, Document] = {}
    for chunk in (wanted[i : i + IN_LIST_MAX] for i in range(0, len(wanted), IN_LIST_MAX)):
        found.update(
            (d.id, d) for d in session.scalars(select(Document).where(Document.id.in_(chunk)))
        )
    return found


def restrictions_for(session: Session, documents: Sequence[Document]) -> dict[int, frozenset[str]]:
    """Every restricted class of each document: by its type, its own marks, its people's, and
    the same of each ancestor. An attachment is part of its email: whatever keeps the email
    from a reader keeps its attachments from them too, in the index and in every point check."""
    chains = ancestors_of(session, documents)
    everyone = {d.id: d for d in documents}
    for chain in chains.values():
        everyone.update((a.id, a) for a in chain)
    own = _own_restrictions(session, list(everyone.values()))
    return {d.id: frozenset(own[d.id].union(*(own[a.id] for a in chains[d.id]))) for d in documents}


def document_restrictions(session: Session, document: Document) -> frozenset[str]:
    return restrictions_for(session, [document])[document.id]


def restriction_tags(restrictions: Iterable[str]) -> tuple[str, ...]:
    """The index's access tags for these restricted classes."""
    return tuple(sorted(TAG_PREFIX + r for r in restrictions))
