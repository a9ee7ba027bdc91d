"""Every piece of state escr keeps on a SQLAlchemy session (`Session.info`), named and typed here.

A session's `info` dict outlives each transaction and is shared by whoever holds the session,
so a key is a small global: each one is declared below, once, with what it holds, who writes
it and when it is cleared, and is read and written only through its `Slot`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")


class Slot(Generic[T]):
    """One named, typed entry of `Session.info`, made empty by `empty` on first use."""

    def __init__(self, key: str, empty: Callable[[], T]) -> None:
        self.key, self._empty = key, empty

    def get(self, session: Session) -> T | None:
        """The value, or None where the session has none."""
        value: T | None = session.info.get(self.key)
        return value

    def setdefault(self, session: Session) -> T:
        """The value, made empty first where the session has none."""
        value: T = session.info.setdefault(self.key, self._empty())
        return value

    def present(self, session: Session) -> bool:
        """Whether the session has a value (a slot can be switched on by being made empty)."""
        return self.key in session.info

    def pop(self, session: Session) -> T | None:
        """Remove and return the value (None where there was none)."""
        value: T | None = session.info.pop(self.key, None)
        return value

    def set(self, session: Session, value: T) -> None:
        """Replace the value."""
        session.info[self.key] = value


# Work to run once the session's transaction commits, each with the transactions (innermost
# first) it was registered in, so a rolled-back savepoint drops its own. catalog.db.after_commit
# adds; its commit and rollback listeners run and drop.
AfterCommitWork = list[tuple[tuple[SessionTransaction, ...], Callable[[], None]]]
AFTER_COMMIT: Slot[AfterCommitWork] = Slot("escr.after_commit", list)

# Texts this session wrote, by document ID, so later stages of one load need not read them
# back. Opt-in (catalog.documents.cache_texts): a session that deletes texts (disposal) must
# never see a cached copy. The loader drops entries with forget_texts().
TEXTS: Slot[dict[int, str]] = Slot("escr.texts", dict)

# The crosswalk lookups of this session, (system, legacy ID) -> person IDs
# (catalog.people.persons_for_legacy_id); emptied whenever a person is written.
CROSSWALK: Slot[dict[tuple[str, str], list[str]]] = Slot("escr.crosswalk", dict)

# The people the link step checked (catalog.person_facts), read a group at a time; emptied
# with the crosswalk whenever a person is written.
# by_id: person ID -> (person ID, given name, family name, date of birth, NHS number), None
# where there is no such person; by_birth_date: every person born on a date, for the dates read.
PersonRow = tuple[str, str, str, date | None, str]


@dataclass
class PeopleSeen:
    by_id: dict[str, PersonRow | None] = field(default_factory=dict)
    by_birth_date: dict[date, list[str]] = field(default_factory=dict)


PEOPLE_FACTS: Slot[PeopleSeen] = Slot("escr.people_facts", PeopleSeen)

# True once an audit event made a checkpoint of the chain due; the after_commit listener of
# catalog.audit writes the checkpoint, a rollback forgets it.
ANCHOR_DUE: Slot[bool] = Slot("escr_audit_anchor_due", bool)

# IDs of documents whose content this session stored for the first time (workers.pipeline):
# they have no old text, exceptions or links to compare against.
FRESH_DOCUMENTS: Slot[set[int]] = Slot("escr.fresh_documents", set)
