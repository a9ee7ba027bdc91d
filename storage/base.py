"""The BlobStore contract: content-addressed, write-once storage of original files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int


@dataclass(frozen=True)
class LockState:
    """What the store enforces on a blob: a retention date (None: none) and a legal hold."""

    retain_until: datetime | None
    legal_hold: bool


def content_key(sha256_hex: str) -> str:
    """The key a blob with this SHA-256 is stored under, fanned out by its first byte: 256
    folders keep each under ~8,000 files a million blobs, which ext4 and XFS index well; a
    second level made a new folder for nearly every blob of a load (docs/decisions/0015)."""
    h = sha256_hex.lower()
    # A regex, not a test per character: this runs for every file a load stores and reads.
    if not _SHA256_HEX.fullmatch(h):
        raise ValueError(f"not a SHA-256 hex digest: {sha256_hex!r}")
    return f"sha256/{h[:2]}/{h}"


@runtime_checkable
class BlobStore(Protocol):
    """Every backend passes tests/contract/test_blob_store.py."""

    def put_file(self, key: str, path: Path) -> BlobInfo:
        """Store the file at `path` under `key`, atomically: readers see all of it or nothing.

        Putting a key that already exists is a no-op that returns the stored blob's info
        (keys are content addresses, so the content is the same). Raises TransientBackendError
        where a retry may succeed.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the blob. Raises NotFound for a missing key."""
        ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A local file holding the blob for the duration of the block (may be the blob itself:
        callers must not modify it). Raises NotFound for a missing key."""
        ...

    def stat(self, key: str) -> BlobInfo:
        """Size of the stored blob. Raises NotFound for a missing key."""
        ...

    def exists(self, key: str) -> bool:
        """Whether the key is stored."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob and every version the store keeps of it. A missing key is a no-op.
        Raises PolicyViolation where the store refuses (legal hold, retention lock)."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key that starts with `prefix`, in no particular order."""
        ...

    def set_retention(self, key: str, until: datetime) -> None:
        """Ask the store to refuse deletion before `until` (no-op where the store cannot)."""
        ...

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Turn the store's legal hold on the blob on or off (no-op where the store cannot)."""
        ...

    def lock_state(self, key: str) -> LockState | None:
        """The retention date and legal hold the store enforces on the blob; None where the
        store cannot enforce either. Raises NotFound for a missing key."""
        ...
