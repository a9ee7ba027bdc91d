"""Alembic environment: the URL comes from catalog.schema.migrate, never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from catalog.models import Base
from catalog.models_access import User  # noqa: F401  (registers the tables)
from catalog.models_legacy_links import LegacyLink  # noqa: F401  (registers the tables)
from catalog.models_login import LoginThrottle  # noqa: F401  (registers the tables)
from catalog.models_matching import ExceptionCandidate  # noqa: F401  (registers the tables)
from catalog.models_person_events import PersonEvent  # noqa: F401  (registers the tables)
from catalog.models_renditions import Rendition  # noqa: F401  (registers the tables)
from catalog.models_retention import AuditChainHead  # noqa: F401  (registers the tables)
from catalog.models_rounds import MetadataVersion  # noqa: F401  (registers the tables)
from catalog.models_sar import SarRequest  # noqa: F401  (registers the tables)
from catalog.models_service import ServiceAccount  # noqa: F401  (registers the tables)
from catalog.models_webhooks import WebhookEvent  # noqa: F401  (registers the tables)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
