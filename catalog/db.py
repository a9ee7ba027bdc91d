"""Engine and session factory for the catalog (SQLite embedded, PostgreSQL scale-out)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from catalog.session_state import AFTER_COMMIT
from core.files import PRIVATE_FILE, private_opener, tighten


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a load writes; NORMAL sync is durable across process kills
    # (the resume test SIGKILLs the loader), which is the failure we design for.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead
    # (its documented recipe), so one failing row can roll back alone.
    dbapi_connection.isolation_level = None


# IDs in one IN list: below every backend's bound-parameter limit (SQLite's default is 999).
IN_LIST_MAX = 900
# The largest catalog ID: IDs are 64-bit signed integers, and a larger number given as an ID
# overflows the database driver (api/params.py and the CLI refuse it first).
MAX_ID = 2**63 - 1

_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_MAX_ENGINES = 8
_ENGINES_LOCK = threading.Lock()


def make_engine(url: str) -> Engine:
    """One engine per database URL per process. The oldest of too many is disposed (its pooled
    connections closed), never just dropped to the garbage collector with connections open."""
    with _ENGINES_LOCK:  # worker threads share the cache
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = _create(url)
            while len(_ENGINES) > _MAX_ENGINES:
                _, oldest = _ENGINES.popitem(last=False)
                oldest.dispose()
        _ENGINES.move_to_end(url)
        return engine


def _private_sqlite_file(url: str) -> None:
    """The catalog file created 0600 (or tightened), before SQLite opens it: SQLite gives its
    -wal and -shm files the database file's mode, so they are private too."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        os.close(private_opener(str(path), os.O_RDWR | os.O_CREAT))
    for name in (database, f"{database}-wal", f"{database}-shm"):
        tighten(Path(name), PRIVATE_FILE)


def _create(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    return engine


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=make_engine(url), expire_on_commit=False)


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


_WRITERS: dict[str, Engine] = {}


def write_first(session: Session) -> None:
    """Begin the session's next transaction as a writer (a request that will write while the
    embedded upload runner writes too). On SQLite a deferred transaction that has read cannot
    take the write lock once another connection has committed since ("database is locked" at
    once, busy timeout or not); so what was read so far is committed, and the new transaction
    writes first: a statement that changes nothing still takes the lock, waiting its turn.
    Other backends: nothing to do."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.commit()
    session.execute(text("DELETE FROM batches WHERE 0"))


def writer_session_factory(url: str) -> sessionmaker[Session]:
    """Sessions for a long-running writer beside the API's requests in one process (the
    embedded upload runner, workers/intake_runner.py). On SQLite their transactions take the
    write lock when they begin (BEGIN IMMEDIATE): a deferred one that read, then found a
    request had written meanwhile, failed at once with "database is locked" (WAL cannot
    upgrade a stale read), where this one waits its turn. Other backends: session_factory."""
    if not url.startswith("sqlite"):
        return session_factory(url)
    with _ENGINES_LOCK:
        engine = _WRITERS.get(url)
        if engine is None:
            _private_sqlite_file(url)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin_immediate)
            _WRITERS[url] = engine
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error: the caller owns the unit."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def after_commit(session: Session, work: Callable[[], None]) -> None:
    """Run `work` once the session's transaction commits; never if it, or the savepoint open
    now, rolls back. For work that must not happen before the catalog holds what it points at
    (catalog first, index after): a task that will read the rows, an index write of documents.
    `work` runs inside commit(), where the session may not run SQL: it sends or notes, no more."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    chain: list[SessionTransaction] = []
    while transaction is not None:
        chain.append(transaction)
        transaction = transaction.parent
    AFTER_COMMIT.setdefault(session).append((tuple(chain), work))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy calls this for those too): not committed yet
    for _, work in AFTER_COMMIT.pop(session) or []:
        work()


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = AFTER_COMMIT.get(session)
    if pending:
        pending[:] = [item for item in pending if previous_transaction not in item[0]]
