"""On the real PostgreSQL the audit log is append-only inside the database too (issue 11, item
8): a trigger refuses UPDATE, DELETE and TRUNCATE even to the tables' owner, and migration 0008
takes those rights on audit_events from every other role, as the application role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from catalog import audit
from catalog.schema import alembic_config
from tests.integration.conftest import Services

pytestmark = pytest.mark.integration


@dataclass
class Catalog:
    url: str
    schema: str
    role: str


def _upgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


@pytest.fixture
def catalog(services: Services) -> Iterator[Catalog]:
    """A fresh schema migrated to 0007, a role granted everything there (as an application
    role gets by default privileges), then migrated to the head."""
    name = uuid.uuid4().hex[:10]
    schema, role = f"t{name}", f"escr_probe_{name}"
    plain = services.database_url.replace("postgresql+psycopg://", "postgresql://")
    url = f"{services.database_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
    try:
        _upgrade(url, "0007")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
            conn.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        _upgrade(url, "head")
        yield Catalog(url, schema, role)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def session(catalog: Catalog) -> Iterator[Session]:
    engine = create_engine(catalog.url)
    with Session(engine) as s:
        for n in range(3):
            audit.record(s, actor=f"user{n}", action="view", target_id=str(n))
        s.commit()
        yield s
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else' WHERE id = 2",
        "DELETE FROM audit_events WHERE id = 2",
        "TRUNCATE audit_events",
    ],
)
def test_the_owner_cannot_change_or_remove_audit_events(session: Session, statement: str) -> None:
    with pytest.raises(DBAPIError, match="audit events are append-only"):
        session.execute(text(statement))
    session.rollback()
    assert session.scalar(text("SELECT count(*) FROM audit_events")) == 3
    assert audit.verify_chain(session) == []


def test_appending_still_works(session: Session) -> None:
    audit.record(session, actor="later", action="view")
    session.commit()
    assert audit.head(session)[1] == 4 and audit.verify_chain(session) == []


def test_other_roles_may_only_read_and_append(session: Session, catalog: Catalog) -> None:
    table = f'"{catalog.schema}".audit_events'
    allowed = {
        right: session.scalar(
            text("SELECT has_table_privilege(:role, :table, :right)"),
            {"role": catalog.role, "table": table, "right": right},
        )
        for right in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    }
    assert allowed == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }
    session.execute(text(f'SET ROLE "{catalog.role}"'))
    with pytest.raises(DBAPIError, match="permission denied"):
        session.execute(text("DELETE FROM audit_events WHERE id = 1"))
    session.rollback()
