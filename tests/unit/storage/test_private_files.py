"""The catalog, the blobs and the index are the service user's alone (issue 11 item 11): a
shared machine's other accounts read none of them, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from catalog.db import make_engine
from catalog.schema import migrate
from core.settings import Settings
from indexer.factory import make_index
from storage.local import LocalBlobStore
from workers.ingest import spool_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask, under which files are created world-readable unless escr says not."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_catalog_and_its_wal_are_private(settings: Settings) -> None:
    assert _mode(settings.home) == 0o700
    migrate(settings.database_url)
    with make_engine(settings.database_url).begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        connection.execute(text("INSERT INTO probe VALUES (1)"))
    catalog = settings.home / "catalog.sqlite"
    for path in (catalog, Path(f"{catalog}-wal"), Path(f"{catalog}-shm")):
        assert path.exists() and _mode(path) == 0o600, path


def test_a_catalog_made_before_is_tightened_on_open(tmp_path: Path) -> None:
    catalog = tmp_path / "old.sqlite"
    sqlite3.connect(catalog).close()
    catalog.chmod(0o644)
    make_engine(f"sqlite:///{catalog}")
    assert _mode(catalog) == 0o600


def test_blobs_and_their_folders_are_private(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    root.mkdir(mode=0o755)  # made before: tightened
    store = LocalBlobStore(root)
    assert _mode(root) == 0o700
    source = tmp_path / "letter.txt"
    source.write_text("Dear family", encoding="utf-8")
    assert _mode(source) == 0o644
    info = store.put_file("sha256/ab/abcdef", source)
    assert _mode(root / info.key) == 0o600 and _mode(root / "sha256" / "ab") == 0o700
    read = spool_file(source, tmp_path, store)
    spooled = root / "sha256" / read.sha256[:2] / read.sha256
    assert _mode(spooled) == 0o600 and _mode(spooled.parent) == 0o700


def test_the_index_folder_is_private(settings: Settings) -> None:
    make_index(settings)
    assert _mode(settings.index_path) == 0o700
