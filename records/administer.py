"""Giving and taking away access: users' teams and activity, people's allocations, grants.

The CLI (`escr user`, `escr allocate`, `escr grant`, `escr revoke`) and the administrators' API
(api/routes/access.py) both call these, so each change is checked and audited the same way.
Functions take the actor's name, change the catalog and audit the change in the caller's
transaction; they do not commit. Restrictions on records are in records/restrict.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit
from catalog.models_access import User
from core.clock import utcnow
from core.errors import InvalidInput, NotFound

MIN_REASON = 10  # taking access away must say why
# Expiry dates in the bounds every date parameter has: a typo like 20255 is refused.
LATEST_EXPIRY = date(2200, 1, 1)


def _reason(reason: str, what: str) -> str:
    if len(reason.strip()) < MIN_REASON:
        raise InvalidInput(f"{what} needs a reason of at least {MIN_REASON} characters")
    return reason.strip()


def _local_user(session: Session, username: str) -> User:
    user = session.get(User, username)
    if user is None:
        raise NotFound(f"no local user {username!r}")
    return user


def user_summary(session: Session, username: str) -> dict[str, Any]:
    """What a user may do now: roles, teams, whether active, and their grants."""
    user = session.get(User, username)
    return {
        "username": username,
        "local": user is not None,
        "active": user.active if user is not None else True,
        "roles": sorted(user.roles) if user is not None else [],
        "teams": rows.teams_of(session, username),
        "grants": [
            {
                "restriction": g.restriction,
                "reason": g.reason,
                "granted_by": g.granted_by,
                "granted_at": g.granted_at.isoformat(),
                "expires_at": g.expires_at.isoformat() if g.expires_at else None,
            }
            for g in rows.grants_of(session, username)
        ],
    }


def _audit_user(
    session: Session, actor: str, username: str, why: str, **detail: Any
) -> dict[str, Any]:
    audit.record(
        session,
        actor=actor,
        action="user_change",
        target_type="user",
        target_id=username,
        why=why,
        detail=detail,
    )
    return user_summary(session, username)


def add_user(
    session: Session,
    actor: str,
    *,
    username: str,
    roles: Iterable[str],
    teams: Iterable[str],
    password: str | None,
) -> dict[str, Any]:
    """Create or update a local user, adding (never removing) teams; a new password ends the
    user's sessions."""
    if not username.strip():
        raise InvalidInput("a user needs a username")
    teams = sorted(set(teams))
    user = rows.upsert_user(
        session, username=username, roles=roles, teams=teams, password=password, now=utcnow()
    )
    return _audit_user(
        session,
        actor,
        username,
        "",
        roles=list(user.roles),
        teams_added=teams,
        password_set=password is not None,
    )


def set_teams(
    session: Session, actor: str, *, username: str, teams: Iterable[str], reason: str = ""
) -> dict[str, Any]:
    """Make a local user's teams exactly these."""
    _local_user(session, username)
    before = rows.teams_of(session, username)
    rows.set_teams(session, username, teams, utcnow())
    return _audit_user(
        session, actor, username, reason.strip(), teams_before=before, teams=sorted(set(teams))
    )


def remove_team(
    session: Session, actor: str, *, username: str, team: str, reason: str = ""
) -> dict[str, Any]:
    _local_user(session, username)
    if not rows.remove_member(session, username, team):
        raise NotFound(f"{username} is not in team {team!r}")
    return _audit_user(session, actor, username, reason.strip(), team_removed=team)


def set_active(
    session: Session, actor: str, *, username: str, active: bool, reason: str
) -> dict[str, Any]:
    """Deactivate a user (their web sessions end in this transaction, and any OIDC token of
    theirs stops working) or reactivate one. An OIDC user with no local row gets one, holding
    only that they are deactivated."""
    why = _reason(reason, "deactivating a user" if not active else "reactivating a user")
    if session.get(User, username) is None:
        if active:
            raise NotFound(f"no local user {username!r}")
        session.add(User(username=username, roles=[], password_hash="", created_at=utcnow()))
        session.flush()
    rows.set_active(session, username, active)
    return _audit_user(session, actor, username, why, active=active)


def expiry_of(value: date | None) -> datetime | None:
    """A grant given `--expires 2027-03-31` holds through that day (UTC)."""
    if value is None:
        return None
    if not date(1800, 1, 1) <= value < LATEST_EXPIRY:
        raise InvalidInput(f"an expiry date must be before {LATEST_EXPIRY.isoformat()}")
    return datetime.combine(value, time()) + timedelta(days=1)


def grant(
    session: Session,
    actor: str,
    *,
    username: str,
    restriction: str,
    reason: str,
    expires: date | None = None,
) -> dict[str, Any]:
    """Grant a restricted class, until the end of `expires` if given. OIDC users need no row."""
    why = _reason(reason, "a grant")
    row = rows.add_grant(
        session,
        username=username,
        restriction=restriction,
        reason=why,
        actor=actor,
        now=utcnow(),
        expires_at=expiry_of(expires),
    )
    audit.record(
        session,
        actor=actor,
        action="grant_change",
        target_type="user",
        target_id=username,
        why=why,
        detail={
            "restriction": restriction,
            "change": "granted",
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
    )
    return user_summary(session, username)


def revoke(
    session: Session, actor: str, *, username: str, restriction: str, reason: str
) -> dict[str, Any]:
    """Take a grant away: the user's next request no longer has it."""
    why = _reason(reason, "revoking a grant")
    if not rows.revoke_grant(session, username=username, restriction=restriction):
        raise NotFound(f"{username} holds no grant for {restriction!r}")
    audit.record(
        session,
        actor=actor,
        action="grant_change",
        target_type="user",
        target_id=username,
        why=why,
        detail={"restriction": restriction, "change": "revoked"},
    )
    return user_summary(session, username)


def _audit_allocation(
    session: Session, actor: str, person_id: str, why: str, **detail: Any
) -> dict[str, Any]:
    audit.record(
        session,
        actor=actor,
        action="allocation_change",
        target_type="person",
        target_id=person_id,
        person_ids=[person_id],
        why=why,
        detail=detail,
    )
    return {"person_id": person_id, "teams": rows.teams_of_person(session, person_id)}


def allocate(
    session: Session, actor: str, *, person_id: str, team: str, source: str = "cli"
) -> bool:
    """Allocate a person to a team (audited where it is new); False where they already were."""
    added = rows.allocate(
        session, person_id=person_id, team=team, source=source, actor=actor, now=utcnow()
    )
    if added:
        _audit_allocation(session, actor, person_id, "", team=team, source=source)
    return added


def deallocate(
    session: Session, actor: str, *, person_id: str, team: str, reason: str
) -> dict[str, Any]:
    """End a person's allocation to a team: its members no longer see their record."""
    why = _reason(reason, "ending an allocation")
    if not rows.deallocate(session, person_id=person_id, team=team):
        raise NotFound(f"{person_id} is not allocated to team {team!r}")
    return _audit_allocation(session, actor, person_id, why, removed=team)


def move(
    session: Session, actor: str, *, person_id: str, from_team: str, to_team: str, reason: str
) -> dict[str, Any]:
    """Move a person's allocation from one team to another, in one transaction."""
    why = _reason(reason, "moving an allocation")
    if from_team == to_team:
        raise InvalidInput("moving an allocation needs two different teams")
    if not rows.deallocate(session, person_id=person_id, team=from_team):
        raise NotFound(f"{person_id} is not allocated to team {from_team!r}")
    rows.allocate(
        session, person_id=person_id, team=to_team, source="move", actor=actor, now=utcnow()
    )
    return _audit_allocation(session, actor, person_id, why, removed=from_team, team=to_team)
