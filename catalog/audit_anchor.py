"""Signed checkpoints of the audit chain, kept where the database's writers cannot rewrite them.

The chain (catalog/audit.py) shows any change made by someone who cannot rehash it; someone who
can write the database can rehash it and its head, and the chain alone would still hold. So the
head (event count and hash) is signed from time to time with the service's Ed25519 key (the one
destruction certificates use, retention/certificates.py) and written outside the database: an
append-only file under ESCR_HOME in embedded mode, an S3 Object Lock bucket in scale-out.
Verifying checks every checkpoint's signature and that the log still has, at each checkpoint's
count, the hash it had then; a rewritten log no longer does.

Checkpoints are written by `escr audit verify` (and its API route) when the chain holds, and
after a commit that appended events once catalog.audit's ANCHOR_EVERY events or
ANCHOR_INTERVAL_S have passed. The events after the newest checkpoint are covered only by the chain.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session

from catalog import audit
from core.clock import utcnow
from core.logging import get_logger
from core.settings import Settings, get_settings
from retention import certificates

log = get_logger(__name__)

KIND = "audit_checkpoint"
# How long S3 Object Lock keeps each checkpoint (governance mode, as the blobs' locks).
S3_RETAIN_DAYS = 10 * 366


class AnchorStore(Protocol):
    """Somewhere checkpoints can be added and read back but not changed by the catalog's users."""

    def append(self, checkpoint: dict[str, Any]) -> None: ...

    def read_all(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(where it was found, the checkpoint) for each; None where it does not parse."""
        ...


class LocalAnchorStore:
    """JSON lines appended to one file (0600, in a 0700 folder) outside the catalog."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "checkpoints.jsonl"

    def append(self, checkpoint: dict[str, Any]) -> None:
        for folder in (self.path.parent.parent, self.path.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
        line = (json.dumps(checkpoint, sort_keys=True, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # One write of one line with O_APPEND: two processes' lines never interleave.
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read_all(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                yield f"{self.path.name} line {number}", _parse(line)


class S3AnchorStore:
    """One object per checkpoint in an Object Lock bucket; every version is read back, so an
    overwrite cannot hide the first one."""

    def __init__(self, client: Any, bucket: str, prefix: str, retain_days: int) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix
        self.retain_days = retain_days

    @classmethod
    def from_settings(cls, settings: Settings, prefix: str) -> S3AnchorStore:
        from minio import Minio

        from storage.s3 import S3BlobStore

        s = settings.storage
        client = Minio(
            s.endpoint, access_key=s.access_key, secret_key=s.secret_key, secure=s.secure
        )
        # A bucket of its own, with Object Lock whatever the blobs' setting, so that listing
        # blobs never meets a checkpoint.
        S3BlobStore(client, f"{s.bucket}-audit", object_lock=True).ensure_bucket()
        return cls(client, f"{s.bucket}-audit", prefix, S3_RETAIN_DAYS)

    def append(self, checkpoint: dict[str, Any]) -> None:
        from minio.commonconfig import GOVERNANCE
        from minio.retention import Retention

        from storage.s3 import with_retries

        body = json.dumps(checkpoint, sort_keys=True).encode()
        count = int(checkpoint["body"]["count"])
        key = f"{self.prefix}/{count:012d}-{uuid.uuid4().hex}.json"
        until = datetime.now(UTC) + timedelta(days=self.retain_days)
        with_retries(
            lambda: self.client.put_object(
                self.bucket,
                key,
                io.BytesIO(body),
                len(body),
                content_type="application/json",
                retention=Retention(GOVERNANCE, until),
            ),
            f"put audit checkpoint {key}",
        )

    def read_all(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        from storage.s3 import with_retries

        objects = with_retries(
            lambda: list(
                self.client.list_objects(
                    self.bucket, prefix=f"{self.prefix}/", recursive=True, include_version=True
                )
            ),
            "list audit checkpoints",
        )
        for obj in objects:
            if obj.is_delete_marker or obj.object_name is None:
                continue
            yield f"{obj.object_name} ({obj.version_id})", _parse(self._read(obj))

    def _read(self, obj: Any) -> str:
        from storage.s3 import with_retries

        def get() -> bytes:
            response = self.client.get_object(
                self.bucket, obj.object_name, version_id=obj.version_id
            )
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return with_retries(get, f"get audit checkpoint {obj.object_name}").decode("utf-8")


def _parse(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def catalog_id(database_url: str) -> str:
    """Which catalog checkpoints belong to: its URL without the password (several test catalogs
    may share one bucket; a catalog moved to a new address starts a new series)."""
    plain = make_url(database_url).render_as_string(hide_password=True)
    return hashlib.sha256(plain.encode()).hexdigest()[:16]


def make_anchor_store(settings: Settings) -> AnchorStore:
    """The store for the configured storage backend and catalog."""
    series = catalog_id(settings.database_url)
    if settings.storage.backend == "s3":
        return S3AnchorStore.from_settings(settings, f"audit-anchors/{series}")
    return LocalAnchorStore(settings.home / "audit-anchors" / series)


def write_checkpoint(session: Session, store: AnchorStore, keys_dir: Path) -> dict[str, Any]:
    """Sign the chain's head as this session sees it and add it to the store."""
    head_hash, count = audit.head(session)
    body = {
        "kind": KIND,
        "count": count,
        "head": head_hash,
        "at": utcnow().isoformat(),
    }
    checkpoint = certificates.sign(body, keys_dir)
    store.append(checkpoint)
    return checkpoint


@dataclass
class Checked:
    problems: list[str]
    checkpoints: int


def _expected_heads(
    store: AnchorStore, public_pem: bytes, problems: list[str]
) -> tuple[dict[int, str], int]:
    """count -> head hash, from every checkpoint whose signature holds; the rest are problems."""
    expected: dict[int, str] = {}
    seen = 0
    for where, checkpoint in store.read_all():
        seen += 1
        body = checkpoint.get("body") if checkpoint else None
        valid = (
            checkpoint is not None
            and isinstance(body, dict)
            and body.get("kind") == KIND
            and certificates.verify_signature(checkpoint, public_pem)
        )
        if not valid or not isinstance(body, dict):
            problems.append(f"audit checkpoint {where}: its signature does not hold")
            continue
        count, head_hash = int(body["count"]), str(body["head"])
        if expected.setdefault(count, head_hash) != head_hash:
            problems.append(f"audit checkpoint {where}: two signed heads for event {count}")
    return expected, seen


def verify(session: Session, store: AnchorStore, keys_dir: Path) -> Checked:
    """The chain's own checks plus every checkpoint's signature and head."""
    problems: list[str] = []
    public_pem = certificates.export_public_key(keys_dir)
    expected, seen = _expected_heads(store, public_pem, problems)
    problems.extend(audit.verify_chain(session, checkpoints=expected))
    return Checked(problems, seen)


def verify_and_anchor(session: Session, settings: Settings) -> Checked:
    """`escr audit verify`: check everything, then (only if it all holds) anchor the head."""
    store = make_anchor_store(settings)
    keys_dir = settings.home / "keys"
    checked = verify(session, store, keys_dir)
    if not checked.problems:
        _checkpoint_committed(session.get_bind().engine, store, keys_dir)
    return checked


def _checkpoint_committed(engine: Engine, store: AnchorStore, keys_dir: Path) -> None:
    """A checkpoint of the head as committed, read apart from any session that may yet add
    events and roll back (a checkpoint of a head that never was would never verify)."""
    with Session(engine) as fresh:
        if audit.head(fresh)[1] > 0:
            write_checkpoint(fresh, store, keys_dir)


def anchor_committed(session: Session) -> None:
    """After a commit that made a checkpoint due: sign the committed head, if this session is
    on the configured catalog (sessions on other databases, as tests make, anchor nothing).
    A store that fails is logged, not raised: the events are committed, and the next
    checkpoint covers them."""
    try:
        settings = get_settings()
        bind = session.get_bind().engine
        if bind.url != make_url(settings.database_url):
            return
        _checkpoint_committed(bind, make_anchor_store(settings), settings.home / "keys")
    except Exception as exc:  # any failure here: the unit is committed already
        log.warning("audit.anchor_failed", error=f"{type(exc).__name__}: {exc}")
