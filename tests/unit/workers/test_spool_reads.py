"""spool_file stores and hashes exactly the bytes it read, whatever the file's size against its
reads (one read of a letter, 1 MiB reads of a bigger file) and if the file grows meanwhile."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from storage.base import content_key
from storage.local import LocalBlobStore
from workers.ingest import spool_file


@pytest.mark.parametrize("size", [1, 4095, 4096, 8193, 2**20 - 1, 2**20, 2**20 + 1, 3 * 2**20 + 7])
def test_the_stored_bytes_are_the_file(tmp_path: Path, size: int) -> None:
    data = b"%PDF-1.4\n" + os.urandom(size)[: max(0, size - 9)]
    data = data[:size]
    source = tmp_path / "letter.pdf"
    source.write_bytes(data)
    store = LocalBlobStore(tmp_path / "store")
    read = spool_file(source, tmp_path, store)
    assert read.size == size
    assert read.sha256 == hashlib.sha256(data).hexdigest()
    with store.open(content_key(read.sha256)) as stored:
        assert stored.read() == data


def test_a_file_that_grows_while_read_is_read_to_its_new_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "growing.txt"
    source.write_bytes(b"a" * 1000)
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        found = real_fstat(fd)
        with source.open("ab") as more:  # after the size was taken, before the first read
            more.write(b"b" * 5000)
        return found

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    read = spool_file(source, tmp_path)
    monkeypatch.undo()
    data = b"a" * 1000 + b"b" * 5000
    assert read.size == len(data)
    assert read.sha256 == hashlib.sha256(data).hexdigest()
    assert Path(read.spool).read_bytes() == data
