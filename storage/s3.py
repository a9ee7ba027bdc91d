"""S3BlobStore: blobs in an S3 bucket (MinIO in development and CI) with Object Lock."""

from __future__ import annotations

import io
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import urllib3
from minio import Minio
from minio.commonconfig import GOVERNANCE
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.retention import Retention

from core.errors import (
    EscrError,
    InvalidInput,
    NotFound,
    PolicyViolation,
    TransientBackendError,
)
from storage.base import BlobInfo, LockState

if TYPE_CHECKING:
    from core.settings import Settings

T = TypeVar("T")

PART_SIZE = 16 * 1024 * 1024
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObject", "ResourceNotFound"}
_REFUSED = {"AccessDenied", "ObjectLocked", "InvalidRetentionDate"}
_TRANSIENT = {
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "XMinioServerNotInitialized",
    # MinIO's answer (HTTP 499) when the connection drops while it is stopping or restarting:
    # the object was not stored, and the same put a moment later succeeds.
    "ClientDisconnected",
}


def _translate(exc: Exception, what: str) -> EscrError:
    """Our error for an SDK or network error."""
    if isinstance(exc, S3Error):
        if exc.code in _NOT_FOUND:
            return NotFound(f"{what}: {exc.code}")
        # MinIO answers a delete of a locked version with InvalidRequest ("Object is WORM
        # protected"); AWS S3 with AccessDenied.
        if exc.code in _REFUSED or (exc.code == "InvalidRequest" and "WORM" in (exc.message or "")):
            return PolicyViolation(f"{what}: {exc.code}: {exc.message}")
        status = exc.response.status if exc.response is not None else 0
        if exc.code in _TRANSIENT or status >= 500:
            return TransientBackendError(f"{what}: {exc.code}")
        return EscrError(f"{what}: {exc.code}: {exc.message}")
    if isinstance(exc, ServerError | InvalidResponseError):
        return TransientBackendError(f"{what}: {exc}")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return TransientBackendError(f"{what}: {type(exc).__name__}: {exc}")
    raise exc


def with_retries(fn: Callable[[], T], what: str, attempts: int = 4, base_delay_s: float = 0.2) -> T:
    """Call `fn`, retrying transient failures with exponential backoff and full jitter; SDK
    errors come out as ours."""
    for attempt in range(attempts):
        try:
            return fn()
        except (
            S3Error,
            ServerError,
            InvalidResponseError,
            urllib3.exceptions.HTTPError,
            OSError,
        ) as exc:
            error = _translate(exc, what)
            if not isinstance(error, TransientBackendError) or attempt == attempts - 1:
                raise error from exc
        time.sleep(random.uniform(0, base_delay_s * 2**attempt))
    raise AssertionError("unreachable")


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in {"", ".", ".."} for p in parts) or "\\" in key:
        raise InvalidInput(f"blob key {key!r} is not a clean relative path")
    return key


class _ResponseStream(io.RawIOBase):
    """An HTTP response body as a raw stream that returns its connection to the pool on close."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._response.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            self._response.release_conn()
        super().close()


class S3BlobStore:
    """Write-once objects; a put is one S3 PUT (or multipart upload), so readers see all or
    nothing. Deletion removes every version and is refused by S3 where a lock applies."""

    def __init__(self, client: Minio, bucket: str, *, object_lock: bool = True) -> None:
        self.client = client
        self.bucket = bucket
        self.object_lock = object_lock

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        """A store on the configured endpoint and bucket, creating the bucket when missing."""
        s = settings.storage
        client = Minio(
            s.endpoint, access_key=s.access_key, secret_key=s.secret_key, secure=s.secure
        )
        store = cls(client, s.bucket, object_lock=s.object_lock)
        store.ensure_bucket()
        return store

    def ensure_bucket(self) -> None:
        """Create the bucket (with Object Lock, which also turns on versioning) if missing."""
        if with_retries(lambda: self.client.bucket_exists(self.bucket), "bucket_exists"):
            return
        try:
            with_retries(
                lambda: self.client.make_bucket(self.bucket, object_lock=self.object_lock),
                f"make_bucket {self.bucket}",
            )
        except EscrError as exc:
            # Another process may have created it between our check and our call.
            cause = exc.__cause__
            if not (isinstance(cause, S3Error) and cause.code == "BucketAlreadyOwnedByYou"):
                raise

    def put_file(self, key: str, path: Path) -> BlobInfo:
        _check_key(key)
        try:
            return self.stat(key)
        except NotFound:
            pass
        size = path.stat().st_size
        result = with_retries(
            lambda: self.client.fput_object(self.bucket, key, str(path), part_size=PART_SIZE),
            f"put {key}",
        )
        stored = with_retries(
            lambda: self.client.stat_object(self.bucket, key, version_id=result.version_id),
            f"stat {key}",
        )
        if stored.size != size or (stored.etag or "").strip('"') != (result.etag or "").strip('"'):
            # Remove the bad copy so that the caller's retry uploads again.
            with_retries(
                lambda: self.client.remove_object(self.bucket, key, version_id=result.version_id),
                f"remove {key}",
            )
            raise TransientBackendError(f"put {key}: stored {stored.size} bytes, sent {size}")
        return BlobInfo(key, size)

    def open(self, key: str) -> BinaryIO:
        _check_key(key)
        response = with_retries(lambda: self.client.get_object(self.bucket, key), f"get {key}")
        return io.BufferedReader(_ResponseStream(response), buffer_size=1024 * 1024)

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        return self._local_copy(_check_key(key))

    @contextmanager
    def _local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="escr-blob-") as folder:
            path = Path(folder) / "blob"
            with_retries(lambda: self.client.fget_object(self.bucket, key, str(path)), f"get {key}")
            yield path

    def stat(self, key: str) -> BlobInfo:
        _check_key(key)
        stored = with_retries(lambda: self.client.stat_object(self.bucket, key), f"stat {key}")
        return BlobInfo(key, stored.size or 0)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def _versions(self, key: str) -> list[str | None]:
        objects = with_retries(
            lambda: list(self.client.list_objects(self.bucket, prefix=key, include_version=True)),
            f"list versions {key}",
        )
        return [o.version_id for o in objects if o.object_name == key]

    def delete(self, key: str) -> None:
        _check_key(key)
        try:
            versions = self._versions(key)
        except NotFound:
            return
        # Delete markers and versions alike; S3 refuses a locked version, and we never send the
        # governance bypass header, so a hold or retention date stands.
        for version_id in versions:
            self._remove_version(key, version_id)

    def _remove_version(self, key: str, version_id: str | None) -> None:
        with_retries(
            lambda: self.client.remove_object(self.bucket, key, version_id=version_id),
            f"delete {key}",
        )

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        objects = self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
        try:
            for obj in objects:
                if obj.object_name is not None and not obj.is_dir:
                    yield obj.object_name
        except (S3Error, ServerError, InvalidResponseError, urllib3.exceptions.HTTPError) as exc:
            raise _translate(exc, f"list {prefix}") from exc

    def set_retention(self, key: str, until: datetime) -> None:
        _check_key(key)
        if not self.object_lock:
            return
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        config = Retention(GOVERNANCE, until)
        with_retries(
            lambda: self.client.set_object_retention(self.bucket, key, config),
            f"set retention {key}",
        )

    def set_legal_hold(self, key: str, on: bool) -> None:
        _check_key(key)
        if not self.object_lock:
            return
        change = (
            self.client.enable_object_legal_hold if on else self.client.disable_object_legal_hold
        )
        with_retries(lambda: change(self.bucket, key), f"legal hold {key}")

    def lock_state(self, key: str) -> LockState | None:
        _check_key(key)
        if not self.object_lock:
            return None
        self.stat(key)  # NotFound for a missing key (the calls below would say no lock)
        retention = with_retries(
            lambda: self.client.get_object_retention(self.bucket, key), f"get retention {key}"
        )
        held = with_retries(
            lambda: self.client.is_object_legal_hold_enabled(self.bucket, key),
            f"get legal hold {key}",
        )
        until = retention.retain_until_date if retention is not None else None
        return LockState(until, bool(held))
