"""Login throttling: after a few failures, each further attempt must wait, the wait doubling.

Counted per username and per client address, in the catalog so every API worker sees the same
count. An attempt during a wait is refused without looking at the password (so guessing cannot
go on at speed, and the right password is refused too until the wait ends). A success clears
its username's count but not its address's: one account of one's own must not reset the
count of guesses against everyone else's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from catalog.models_login import LoginThrottle

KEY_MAX = 200


@dataclass(frozen=True)
class Policy:
    free_failures: int
    first_wait: timedelta
    longest_wait: timedelta
    # A count is forgotten when this long passes with no failure and no wait running.
    forget_after: timedelta

    def wait_after(self, failures: int) -> timedelta:
        """How long the next attempt must wait after this many failures in a row."""
        over = failures - self.free_failures
        if over <= 0:
            return timedelta(0)
        # Capped before doubling: 2**big would overflow timedelta.
        doubled: timedelta = self.first_wait * 2 ** min(over - 1, 30)
        return min(self.longest_wait, doubled)


USERNAME = Policy(5, timedelta(seconds=2), timedelta(minutes=15), timedelta(minutes=15))
# An office behind one NAT address shares this count, so it allows more before waiting.
ADDRESS = Policy(20, timedelta(seconds=2), timedelta(minutes=15), timedelta(minutes=15))


def keys(username: str, address: str) -> list[tuple[str, Policy]]:
    """The counts one attempt touches (no address, as from a test client, only the username)."""
    found = [(f"user:{username}"[:KEY_MAX], USERNAME)]
    if address:
        found.append((f"addr:{address}"[:KEY_MAX], ADDRESS))
    return found


def seconds_to_wait(session: Session, username: str, address: str, now: datetime) -> int:
    """Whole seconds before this username may try again from this address; 0 means now."""
    wanted = [key for key, _ in keys(username, address)]
    query = select(LoginThrottle.locked_until).where(LoginThrottle.key.in_(wanted))
    ends = [end for end in session.scalars(query) if end is not None and end > now]
    return math.ceil((max(ends) - now).total_seconds()) if ends else 0


def _upsert_missing(session: Session, key: str, now: datetime) -> None:
    """The row for this key, made if missing (two workers failing at once make one row)."""
    values = {"key": key, "failures": 0, "last_failure_at": now, "locked_until": None}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values(**values).on_conflict_do_nothing())


def _forgotten(row: LoginThrottle, policy: Policy, now: datetime) -> bool:
    quiet_since = max(row.last_failure_at, row.locked_until or row.last_failure_at)
    return now - quiet_since >= policy.forget_after


def record_failure(session: Session, username: str, address: str, now: datetime) -> None:
    """Count one failed attempt against the username and the address, and start any wait."""
    for key, policy in keys(username, address):
        _upsert_missing(session, key, now)
        query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
        row = session.scalars(query.execution_options(populate_existing=True)).one()
        failures = 1 if _forgotten(row, policy, now) else row.failures + 1
        wait = policy.wait_after(failures)
        row.failures, row.last_failure_at = failures, now
        row.locked_until = now + wait if wait else None
    _forget_old(session, now)
    session.flush()


def clear_username(session: Session, username: str) -> None:
    """A successful login: the username starts afresh (its address does not)."""
    key = keys(username, "")[0][0]
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _forget_old(session: Session, now: datetime) -> None:
    """Rows past any wait and any memory, so guessed usernames do not pile up."""
    longest = max(p.longest_wait + p.forget_after for p in (USERNAME, ADDRESS))
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - longest))
