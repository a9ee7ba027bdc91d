"""Bring a catalog database to the current schema with the Alembic migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text

from catalog.db import make_engine

_MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: every escr process migrating a PostgreSQL catalog takes this advisory lock.
_MIGRATION_LOCK = 0x65736372  # "escr"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest revision (idempotent, and safe for several
    processes at once: workers started together on a new catalog all migrate it, and without
    a lock two created alembic_version at once and both died)."""
    engine = make_engine(url)
    with _sqlite_file_lock(url), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held to the end of this transaction: the next process finds the schema at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


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
