"""LocalBlobStore.adopt: a sandbox child that read a file into the store's staging folder hands
it over with one rename."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core.errors import InvalidInput
from storage.base import content_key
from storage.local import LocalBlobStore


def _staged(store: LocalBlobStore, name: str, data: bytes) -> tuple[Path, str]:
    path = store.staging / name
    path.write_bytes(data)
    return path, content_key(hashlib.sha256(data).hexdigest())


def test_adopt_moves_the_staged_file_under_its_key(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    staged, key = _staged(store, "one", b"a letter")
    assert store.adopt(key, staged).size == 8
    assert not staged.exists()
    with store.open(key) as handle:
        assert handle.read() == b"a letter"


def test_adopting_a_stored_key_keeps_the_stored_blob_and_drops_the_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    first, key = _staged(store, "one", b"same bytes")
    store.adopt(key, first)
    stored_inode = (store.root / key).stat().st_ino
    second, _ = _staged(store, "two", b"same bytes")
    store.adopt(key, second)
    assert not second.exists()
    assert (store.root / key).stat().st_ino == stored_inode  # write-once: not replaced


def test_adopt_takes_only_files_from_the_staging_folder(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    outside = tmp_path / "elsewhere"
    outside.write_bytes(b"x")
    with pytest.raises(InvalidInput):
        store.adopt(content_key(hashlib.sha256(b"x").hexdigest()), outside)
    assert outside.exists()
