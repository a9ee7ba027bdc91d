"""The loader's main thread looks things up once (docs/decisions/0023): what it no longer asks
the catalog must still be what the catalog would have answered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog.db import session_factory
from catalog.models import ExceptionItem
from catalog.people import persons_for_nhs_number, upsert_person
from catalog.schema import migrate
from core.settings import Settings

NOW = datetime(2026, 1, 1)


def _person(session: Session, person_id: str, nhs: str) -> None:
    upsert_person(
        session,
        person_id=person_id,
        target_system="Mosaic",
        given_name="A",
        family_name="B",
        date_of_birth=None,
        date_of_death=None,
        nhs_number=nhs,
        service="children",
        extra={},
        legacy_ids=[("PARIS", person_id)],
        now=NOW,
    )


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_an_nhs_number_is_looked_up_once_until_a_person_is_written(settings: Settings) -> None:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        _person(session, "M1", "9434765919")
        session.flush()
        assert persons_for_nhs_number(session, "9434765919") == ["M1"]
        with _statements(session) as seen:
            assert persons_for_nhs_number(session, "9434765919") == ["M1"]
        assert seen == []  # the second document with this number asks nothing
        _person(session, "M2", "9434765919")  # a later people file gives it to someone else
        session.flush()
        assert persons_for_nhs_number(session, "9434765919") == ["M1", "M2"]


def test_a_new_documents_exception_is_opened_without_a_lookup(settings: Settings) -> None:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        with _statements(session) as seen:
            docs.open_exception(
                session,
                document_id=7,
                kind="unknown_legacy_id",
                detail="PARIS:1 is not in the crosswalk",
                candidates=[],
                now=NOW,
                new_document=True,
            )
        assert seen == []  # no SELECT, so nothing pending was flushed for it
        (item,) = [o for o in session.new if isinstance(o, ExceptionItem)]
        assert (item.document_id, item.kind, item.status) == (7, "unknown_legacy_id", "open")
