"""Bring a catalog database to the current schema with the Alembic migrations."""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from catalog.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).parent / "migrations"
# Every migration file is named after its revision ("0012_renditions.py" is revision "0012")
# and revises the one before it: tests/unit/catalog/test_schema_head.py holds the chain to that.
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
# Any constant: every escr process migrating a PostgreSQL catalog takes this advisory lock.
_MIGRATION_LOCK = 0x65736372  # "escr"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest revision (idempotent, and safe for several
    processes at once: workers started together on a new catalog all migrate it, and without
    a lock two created alembic_version at once and both died).

    A catalog already at the newest revision is known by one query, without Alembic: every
    command starts here, and loading Alembic and its scripts was a tenth of a second of each
    `escr` command's start (issue 12, section 4)."""
    if _at_head(url):
        return
    from alembic import command

    engine = make_engine(url)
    with _sqlite_file_lock(url), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held to the end of this transaction: the next process finds the schema at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@cache
def head_revision() -> str:
    """The newest revision, read from the migration files' names."""
    revisions = [
        match.group(1)
        for path in (_MIGRATIONS / "versions").iterdir()
        if (match := _REVISION_FILE.match(path.name))
    ]
    return max(revisions)


def _at_head(url: str) -> bool:
    """Whether the catalog at `url` is at the newest revision (False where it has none yet)."""
    try:
        with make_engine(url).connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no catalog yet: no alembic_version table
        return False
    return [row[0] for row in current] == [head_revision()]


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """An exclusive lock beside a SQLite catalog while it is migrated. SQLite's own locks do
    not serialise two migrations: both read the schema, then the second cannot write."""
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield
