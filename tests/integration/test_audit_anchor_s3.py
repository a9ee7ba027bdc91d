"""The audit chain's checkpoints in an S3 Object Lock bucket on the real MinIO (issue 11, item 8):
they verify, a rewritten log fails against them, and no one can delete them before their date."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
from minio import Minio
from minio.error import S3Error
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog import audit, audit_anchor
from catalog.db import session_factory
from catalog.models import AuditEvent
from catalog.models_retention import AuditChainHead
from catalog.schema import migrate
from core.settings import Settings, StorageSettings
from tests.integration.conftest import Services

pytestmark = pytest.mark.integration


@pytest.fixture
def store(services: Services) -> audit_anchor.S3AnchorStore:
    """A fresh Object Lock bucket (its checkpoints stay locked for a day; MinIO is disposable)."""
    client = Minio(
        services.s3_endpoint,
        access_key=services.s3_access_key,
        secret_key=services.s3_secret_key,
        secure=False,
    )
    bucket = f"escr-anchor-{uuid.uuid4().hex[:12]}"
    client.make_bucket(bucket, object_lock=True)
    return audit_anchor.S3AnchorStore(client, bucket, "audit-anchors/test", retain_days=1)


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as s:
        for n in range(30):
            audit.record(s, actor=f"user{n}", action="view", target_id=str(n))
        s.commit()
        yield s


def test_checkpoints_in_object_lock_verify_and_catch_a_rewrite(
    store: audit_anchor.S3AnchorStore, session: Session, settings: Settings
) -> None:
    keys = settings.home / "keys"
    audit_anchor.write_checkpoint(session, store, keys)
    assert audit_anchor.verify(session, store, keys).problems == []
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(range(5, 19))))
    prev = audit.GENESIS
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    for event in events:
        event.prev_hash = prev
        event.hash = prev = audit._digest(prev, audit._fields(event))
    head = session.get(AuditChainHead, audit.HEAD_ID)
    assert head is not None
    head.hash, head.count = prev, len(events)
    session.commit()
    checked = audit_anchor.verify(session, store, keys)
    assert checked.checkpoints == 1
    assert checked.problems == [
        "a signed checkpoint holds 30 events, the log has 16: events were removed"
    ]


def test_a_checkpoint_cannot_be_deleted_or_overwritten_unseen(
    store: audit_anchor.S3AnchorStore, session: Session, settings: Settings
) -> None:
    keys = settings.home / "keys"
    audit_anchor.write_checkpoint(session, store, keys)
    (obj,) = store.client.list_objects(store.bucket, recursive=True, include_version=True)
    with pytest.raises(S3Error):
        store.client.remove_object(store.bucket, obj.object_name, version_id=obj.version_id)
    # An overwrite is a new version; the first is still read, and a forgery's signature fails.
    store.client.put_object(store.bucket, obj.object_name, io.BytesIO(b"{}"), 2)
    problems = audit_anchor.verify(session, store, keys).problems
    assert len(problems) == 1 and "its signature does not hold" in problems[0]


def test_the_s3_backend_setting_picks_a_locked_bucket_of_its_own(
    services: Services, settings: Settings
) -> None:
    bucket = f"escr-t{uuid.uuid4().hex[:12]}"
    storage = StorageSettings(
        backend="s3",
        endpoint=services.s3_endpoint,
        access_key=services.s3_access_key,
        secret_key=services.s3_secret_key,
        bucket=bucket,
        object_lock=False,
    )
    scaled = settings.model_copy(update={"storage": storage})
    store = audit_anchor.make_anchor_store(scaled)
    assert isinstance(store, audit_anchor.S3AnchorStore) and store.bucket == f"{bucket}-audit"
    lock = store.client.get_object_lock_config(store.bucket)
    assert lock is not None
