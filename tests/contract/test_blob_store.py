"""The BlobStore contract, run against every backend: local files and S3 (the real MinIO)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from minio import Minio

from core.errors import InvalidInput, NotFound, PolicyViolation
from storage.base import BlobInfo, BlobStore, LockState, content_key

S3_ENV = ("ESCR_STORAGE__ENDPOINT", "ESCR_STORAGE__ACCESS_KEY", "ESCR_STORAGE__SECRET_KEY")
HOW = 'start them with `scripts/services.sh up` and load `eval "$(scripts/services.sh env)"`'


@pytest.fixture(scope="session")
def s3_bucket() -> Iterator[tuple[Minio, str]]:
    """A fresh Object Lock bucket on the running MinIO for this test session."""
    from minio.error import S3Error

    missing = [name for name in S3_ENV if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: the s3 contract tests need MinIO; {HOW}")
    client = Minio(
        os.environ["ESCR_STORAGE__ENDPOINT"],
        access_key=os.environ["ESCR_STORAGE__ACCESS_KEY"],
        secret_key=os.environ["ESCR_STORAGE__SECRET_KEY"],
        secure=False,
    )
    bucket = f"escr-test-{uuid.uuid4().hex[:12]}"
    client.make_bucket(bucket, object_lock=True)
    yield client, bucket
    # Best effort: a blob still under a hold or retention date stays, as the lock says.
    for obj in client.list_objects(bucket, recursive=True, include_version=True):
        with contextlib.suppress(S3Error):
            client.remove_object(bucket, obj.object_name or "", version_id=obj.version_id)
    with contextlib.suppress(S3Error):
        client.remove_bucket(bucket)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        from storage.local import LocalBlobStore

        return LocalBlobStore(tmp_path / "blobs")
    from storage.s3 import S3BlobStore

    client, bucket = request.getfixturevalue("s3_bucket")
    # A prefix per test keeps tests apart inside the session's bucket.
    return _Prefixed(S3BlobStore(client, bucket), f"t{uuid.uuid4().hex[:8]}/")


class _Prefixed:
    """A store seen under a key prefix, so tests sharing the session's bucket stay apart."""

    def __init__(self, inner: BlobStore, prefix: str) -> None:
        self.inner, self.prefix = inner, prefix

    def _k(self, key: str) -> str:
        return self.prefix + key if key else key

    def put_file(self, key: str, path: Path) -> BlobInfo:
        return self.inner.put_file(self._k(key), path)

    def open(self, key: str) -> BinaryIO:
        return self.inner.open(self._k(key))

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        return self.inner.local_copy(self._k(key))

    def stat(self, key: str) -> BlobInfo:
        return self.inner.stat(self._k(key))

    def exists(self, key: str) -> bool:
        return self.inner.exists(self._k(key))

    def delete(self, key: str) -> None:
        self.inner.delete(self._k(key))

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        return (k.removeprefix(self.prefix) for k in self.inner.iter_keys(self.prefix + prefix))

    def set_retention(self, key: str, until: datetime) -> None:
        self.inner.set_retention(self._k(key), until)

    def set_legal_hold(self, key: str, on: bool) -> None:
        self.inner.set_legal_hold(self._k(key), on)

    def lock_state(self, key: str) -> LockState | None:
        return self.inner.lock_state(self._k(key))


def _file(tmp_path: Path, data: bytes) -> tuple[Path, str]:
    path = tmp_path / f"src-{uuid.uuid4().hex}"
    path.write_bytes(data)
    return path, content_key(hashlib.sha256(data).hexdigest())


def test_put_then_read_back(store: BlobStore, tmp_path: Path) -> None:
    path, key = _file(tmp_path, b"a care plan")
    info = store.put_file(key, path)
    assert (info.key.endswith(key), info.size) == (True, 11)
    assert store.exists(key)
    assert store.stat(key).size == 11
    with store.open(key) as stream:
        assert stream.read() == b"a care plan"
    with store.local_copy(key) as copy:
        assert copy.read_bytes() == b"a care plan"


def test_put_of_an_existing_key_is_a_no_op(store: BlobStore, tmp_path: Path) -> None:
    path, key = _file(tmp_path, b"first")
    store.put_file(key, path)
    other = tmp_path / "other"
    other.write_bytes(b"something else entirely")
    assert store.put_file(key, other).size == 5
    with store.open(key) as stream:
        assert stream.read() == b"first"


def test_missing_keys_raise_not_found(store: BlobStore) -> None:
    key = content_key("0" * 64)
    assert not store.exists(key)
    with pytest.raises(NotFound):
        store.open(key)
    with pytest.raises(NotFound):
        store.stat(key)
    with pytest.raises(NotFound), store.local_copy(key):
        pass


def test_delete_removes_and_a_missing_key_is_a_no_op(store: BlobStore, tmp_path: Path) -> None:
    path, key = _file(tmp_path, b"to be destroyed")
    store.put_file(key, path)
    store.delete(key)
    assert not store.exists(key)
    assert key not in set(store.iter_keys())
    store.delete(key)  # again: nothing there, no error


def test_iter_keys_filters_by_prefix(store: BlobStore, tmp_path: Path) -> None:
    keys = set()
    for n in range(3):
        path, key = _file(tmp_path, f"blob {n}".encode())
        store.put_file(key, path)
        keys.add(key)
    assert set(store.iter_keys()) == keys
    assert set(store.iter_keys("sha256/")) == keys
    assert list(store.iter_keys("nothing-here/")) == []


def test_large_blob_round_trips(store: BlobStore, tmp_path: Path) -> None:
    # Past one 16 MiB part, so S3 takes the multipart path.
    data = os.urandom(17 * 1024 * 1024 + 3)
    path, key = _file(tmp_path, data)
    assert store.put_file(key, path).size == len(data)
    with store.local_copy(key) as copy:
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == key.rsplit("/", 1)[1]
    with store.open(key) as stream:
        assert stream.read() == data


@pytest.mark.parametrize("key", ["../escape", "sha256/../../x", "/etc/passwd", ""])
def test_keys_outside_the_store_are_refused(store: BlobStore, tmp_path: Path, key: str) -> None:
    path, _ = _file(tmp_path, b"x")
    with pytest.raises(InvalidInput):
        store.put_file(key, path)


def test_hold_and_retention_calls_are_accepted(store: BlobStore, tmp_path: Path) -> None:
    path, key = _file(tmp_path, b"held")
    store.put_file(key, path)
    store.set_legal_hold(key, True)
    store.set_legal_hold(key, False)
    store.delete(key)
    assert not store.exists(key)


@pytest.mark.integration
def test_s3_refuses_to_delete_under_legal_hold(
    s3_bucket: tuple[Minio, str], tmp_path: Path
) -> None:
    from storage.s3 import S3BlobStore

    client, bucket = s3_bucket
    store = S3BlobStore(client, bucket)
    path, key = _file(tmp_path, f"held {uuid.uuid4()}".encode())
    store.put_file(key, path)
    store.set_legal_hold(key, True)
    with pytest.raises(PolicyViolation):
        store.delete(key)
    assert store.exists(key)
    store.set_legal_hold(key, False)
    store.delete(key)
    assert not store.exists(key)


@pytest.mark.integration
def test_s3_refuses_to_delete_before_retention_ends(
    s3_bucket: tuple[Minio, str], tmp_path: Path
) -> None:
    from storage.s3 import S3BlobStore

    client, bucket = s3_bucket
    store = S3BlobStore(client, bucket)
    path, key = _file(tmp_path, f"retained {uuid.uuid4()}".encode())
    store.put_file(key, path)
    until = datetime.now(UTC) + timedelta(seconds=3)
    store.set_retention(key, until)
    with pytest.raises(PolicyViolation):
        store.delete(key)
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.0)
    store.delete(key)
    assert not store.exists(key)
