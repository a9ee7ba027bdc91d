"""Several processes migrating one new catalog at once (workers started together) all succeed."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import create_engine, inspect

PROCESSES = 4


def _migrate(url: str) -> None:
    from catalog.schema import migrate

    migrate(url)


def migrate_together(url: str) -> list[int | None]:
    """Exit codes of PROCESSES processes that migrate `url` at the same moment."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_migrate, args=(url,)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    return [process.exitcode for process in processes]


def test_processes_migrating_a_new_sqlite_catalog_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert migrate_together(url) == [0] * PROCESSES
    engine = create_engine(url)
    try:
        assert "documents" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
