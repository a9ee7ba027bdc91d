"""Migration 0016 makes exactly the tables its models declare (person events, the webhook
outbox and subscriptions, old links' keys): Alembic finds nothing to change for them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from catalog.db import make_engine
from catalog.models import Base
from catalog.models_legacy_links import LegacyLink
from catalog.models_person_events import PersonEvent, PersonMerge
from catalog.models_webhooks import WebhookDelivery, WebhookEvent, WebhookSubscription
from catalog.schema import migrate

TABLES = {
    m.__tablename__
    for m in (
        LegacyLink,
        PersonEvent,
        PersonMerge,
        WebhookDelivery,
        WebhookEvent,
        WebhookSubscription,
    )
}


def _table_of(diff: object) -> str:
    for part in diff if isinstance(diff, list) else [diff]:
        for item in part if isinstance(part, tuple) else ():
            name = getattr(item, "name", None)
            table = getattr(item, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if isinstance(name, str) and name in TABLES:
                return name
            if isinstance(item, str) and item in TABLES:
                return item
    return ""


def test_migration_0016_matches_its_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    migrate(url)
    with make_engine(url).connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in diffs if _table_of(d) in TABLES]
    assert mine == []
    with make_engine(url).connect() as connection:
        names = set(connection.dialect.get_table_names(connection))
    assert names >= TABLES
