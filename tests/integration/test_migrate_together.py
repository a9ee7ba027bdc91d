"""Workers started together on a new PostgreSQL catalog all migrate it: none may die."""

from __future__ import annotations

import uuid

import psycopg
from sqlalchemy import create_engine, inspect

from tests.integration.conftest import Services
from tests.unit.catalog.test_migrate_together import PROCESSES, migrate_together


def test_processes_migrating_a_new_postgres_catalog_at_once_all_succeed(
    services: Services,
) -> None:
    schema = f"t{uuid.uuid4().hex[:10]}"
    plain = services.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{services.database_url}?options=-csearch_path%3D{schema}"
        assert migrate_together(url) == [0] * PROCESSES
        engine = create_engine(url)
        try:
            assert "documents" in inspect(engine).get_table_names(schema=schema)
        finally:
            engine.dispose()
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
