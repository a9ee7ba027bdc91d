"""Retention on the real MinIO: Object Lock hooks, the drift report, and disposal of every version.

The catalog is the embedded one (SQLite under the test's ESCR_HOME); the blob store is an
S3BlobStore on a fresh Object Lock bucket of the running MinIO.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from sqlalchemy.orm import Session

from catalog.db import session_factory
from catalog.documents import add_version, ensure_blob
from catalog.models import Document, DocumentLink, Person
from catalog.schema import migrate
from core.errors import PolicyViolation
from core.settings import Settings
from indexer.embedded import EmbeddedIndex
from retention import appraise, disposal, holds, locks
from retention.destroy import execute
from retention.evaluate import Evaluator
from retention.schedule import load_schedule
from storage.base import content_key
from storage.s3 import S3BlobStore
from tests.integration.conftest import Services

pytestmark = pytest.mark.integration

TODAY = date(2024, 6, 1)
NOW = datetime(2024, 1, 1)


@pytest.fixture
def s3(services: Services) -> Iterator[tuple[Minio, S3BlobStore]]:
    """A fresh Object Lock bucket; emptied afterwards where the locks allow."""
    client = Minio(
        services.s3_endpoint,
        access_key=services.s3_access_key,
        secret_key=services.s3_secret_key,
        secure=False,
    )
    bucket = f"escr-retention-{uuid.uuid4().hex[:12]}"
    client.make_bucket(bucket, object_lock=True)
    yield client, S3BlobStore(client, bucket)
    for obj in client.list_objects(bucket, recursive=True, include_version=True):
        name = obj.object_name or ""
        with contextlib.suppress(S3Error):
            client.disable_object_legal_hold(bucket, name, version_id=obj.version_id)
        with contextlib.suppress(S3Error):
            client.remove_object(bucket, name, version_id=obj.version_id)
    with contextlib.suppress(S3Error):
        client.remove_bucket(bucket)


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as s:
        yield s


def _person(session: Session, person_id: str, **extra: str) -> None:
    session.add(Person(person_id=person_id, service="adults", extra=extra, updated_at=NOW))
    session.flush()


def _doc(
    session: Session, store: S3BlobStore, tmp_path: Path, person_id: str, body: bytes
) -> Document:
    sha = hashlib.sha256(body).hexdigest()
    source = tmp_path / sha
    source.write_bytes(body)
    store.put_file(content_key(sha), source)
    ensure_blob(
        session, sha256=sha, key=content_key(sha), size=len(body), mime="text/plain", now=NOW
    )
    doc = Document(
        source_system="PARIS",
        source_document_id=sha[:12],
        sha256=sha,
        title="letter",
        doc_type="case_note",
        type_confidence=0.95,
        state="indexed",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(doc)
    session.flush()
    add_version(session, doc, sha, "b1", NOW)
    session.add(
        DocumentLink(
            document_id=doc.id, person_id=person_id, method="crosswalk", reason="t", created_at=NOW
        )
    )
    session.flush()
    return doc


def _versions(client: Minio, bucket: str, key: str) -> list[str | None]:
    listed = client.list_objects(bucket, prefix=key, include_version=True)
    return [o.version_id for o in listed if o.object_name == key]


def test_a_held_object_cannot_be_deleted_and_drift_shows_a_hold_cleared_behind_our_back(
    s3: tuple[Minio, S3BlobStore], session: Session, tmp_path: Path
) -> None:
    client, store = s3
    _person(session, "p1", last_contact="2010-01-01")  # due since 2018
    holds.add_hold(
        session,
        name="inquiry",
        reason_type="inquiry",
        authority="s.21 notice",
        owner="ig",
        criteria={"person_ids": ["p1"]},
        actor="ig",
        store=store,
    )
    doc = _doc(session, store, tmp_path, "p1", f"held {uuid.uuid4()}".encode())
    key = content_key(doc.sha256 or "")
    counts = appraise.evaluate(session, Evaluator(load_schedule()), today=TODAY, store=store)
    session.commit()
    assert counts["legal_hold_set"] == 1

    with pytest.raises(PolicyViolation):
        store.delete(key)
    for version_id in _versions(client, store.bucket, key):
        with pytest.raises(S3Error):
            client.remove_object(store.bucket, key, version_id=version_id)
    assert store.exists(key)

    assert locks.drift(session, store) == {"enforced": True, "checked": 1, "drift": []}
    client.disable_object_legal_hold(store.bucket, key)
    report = locks.drift(session, store)
    assert [(d["key"], d["document_ids"], d["problems"]) for d in report["drift"]] == [
        (key, [doc.id], ["legal hold missing"])
    ]


def test_disposal_of_a_due_object_on_s3_removes_every_version(
    s3: tuple[Minio, S3BlobStore], session: Session, settings: Settings, tmp_path: Path
) -> None:
    client, store = s3
    _person(session, "p2", last_contact="2010-01-01")
    _person(session, "p3", last_contact="2030-01-01")  # kept until 2038
    doc = _doc(session, store, tmp_path, "p2", f"due {uuid.uuid4()}".encode())
    kept = _doc(session, store, tmp_path, "p3", f"kept {uuid.uuid4()}".encode())
    key, kept_key = content_key(doc.sha256 or ""), content_key(kept.sha256 or "")
    # A second S3 version of the same key (an overwrite made round the service).
    client.put_object(store.bucket, key, io.BytesIO(b"overwritten"), 11)
    assert len(_versions(client, store.bucket, key)) == 2

    evaluator = Evaluator(load_schedule())
    proposal, summary = disposal.sweep(session, evaluator, actor="alice", today=TODAY, store=store)
    assert proposal is not None and summary["proposed"] == 1
    assert summary["retention_set"] == 1  # only the record kept until 2038 needs a lock
    assert store.lock_state(kept_key) is not None
    with pytest.raises(PolicyViolation):
        store.delete(kept_key)
    disposal.review(session, proposal.id, actor="bob", decision="approve", justification="due")
    outcome = execute(
        session,
        proposal.id,
        actor="carol",
        evaluator=evaluator,
        store=store,
        index=EmbeddedIndex(settings.index_path),
        home=settings.home,
        today=TODAY,
    )
    session.commit()
    assert outcome.counts == {"destroyed": 1}
    assert _versions(client, store.bucket, key) == []
    assert not store.exists(key) and store.exists(kept_key)
    assert locks.drift(session, store)["drift"] == []
