"""LocalBlobStore: blobs as files under one root folder (the embedded default)."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from core.errors import InvalidInput, NotFound
from core.files import PRIVATE_FILE, PRIVATE_FOLDER, private_folder
from storage.base import BlobInfo, LockState


class LocalBlobStore:
    """Write-once files; a put lands by rename, so readers never see half a blob."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._tmp = self.root / ".tmp"
        self._root, self._tmp_str = str(self.root), str(self._tmp)
        # Only the service's user may enter: the blobs are the records themselves.
        private_folder(self.root)
        private_folder(self._tmp)

    def _path(self, key: str) -> Path:
        return Path(self._location(key))

    def _location(self, key: str) -> str:
        # normpath on strings, not resolve() or pathlib: the same ".." check without an lstat
        # per folder (resolve was half a millisecond a blob). Links inside the store are ours.
        path = os.path.normpath(os.path.join(self._root, key))
        if not key or not path.startswith(self._root + os.sep):
            raise InvalidInput(f"blob key {key!r} resolves outside the store")
        if path == self._tmp_str or path.startswith(self._tmp_str + os.sep):
            raise InvalidInput(f"blob key {key!r} is reserved")
        return path

    def put_file(self, key: str, path: Path) -> BlobInfo:
        target = self._path(key)
        if target.exists():
            return BlobInfo(key, target.stat().st_size)
        target.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        staging = self._tmp / uuid.uuid4().hex
        try:
            # A hard link is free where the source is on the same filesystem; else copy.
            try:
                os.link(path, staging)
            except OSError:
                shutil.copyfile(path, staging)
                with staging.open("rb") as handle:
                    os.fsync(handle.fileno())
            # A linked file keeps its maker's mode (an extractor's temp file): the blob's is ours.
            os.chmod(staging, PRIVATE_FILE)
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
        return BlobInfo(key, target.stat().st_size)

    @property
    def staging(self) -> Path:
        """Where a writer on this machine may create a file it will adopt() (same filesystem)."""
        return self._tmp

    def adopt(self, key: str, path: Path) -> BlobInfo:
        """Move a file from `staging` into place under `key`; the file is the store's now (or,
        where the key is already stored, deleted). One rename: no copy, no link. The writer
        creates it 0600 (core.files.private_opener): a rename keeps the mode."""
        target = self._location(key)
        if os.path.dirname(path) != self._tmp_str:
            raise InvalidInput(f"{path} is not in the store's staging folder")
        moved = False
        try:
            if not os.path.exists(target):
                try:
                    os.replace(path, target)
                except FileNotFoundError:  # the first blob under this prefix: make its folder
                    os.makedirs(os.path.dirname(target), mode=PRIVATE_FOLDER, exist_ok=True)
                    os.replace(path, target)
                moved = True
        finally:
            if not moved:  # already stored, or the move failed: the staged copy goes
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        return BlobInfo(key, os.stat(target).st_size)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {key} not found") from None

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        return self._local_copy(key)

    @contextmanager
    def _local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"blob {key} not found")
        yield path

    def stat(self, key: str) -> BlobInfo:
        try:
            return BlobInfo(key, self._path(key).stat().st_size)
        except FileNotFoundError:
            raise NotFound(f"blob {key} not found") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not (Path(folder) / d).samefile(self._tmp)]
            for name in files:
                key = (Path(folder) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def set_retention(self, key: str, until: datetime) -> None:
        """A plain filesystem cannot enforce retention; the catalog's rules still apply."""

    def set_legal_hold(self, key: str, on: bool) -> None:
        """A plain filesystem cannot enforce holds; the catalog's holds still apply."""

    def lock_state(self, key: str) -> LockState | None:
        """None: a plain filesystem enforces neither (after checking the blob exists)."""
        self.stat(key)
        return None
