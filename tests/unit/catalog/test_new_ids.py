"""New documents get the IDs SQLite would give them, and go in as one INSERT."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, insert

from catalog.db import session_factory
from catalog.documents import assign_new_ids
from catalog.models import Document
from catalog.schema import migrate
from core.settings import Settings

NOW = datetime(2026, 11, 22, 12, 0)


def _document(source_id: str) -> Document:
    return Document(
        source_system="PARIS",
        source_document_id=source_id,
        created_at=NOW,
        updated_at=NOW,
        state="stored",
    )


def test_new_documents_follow_the_largest_id_and_are_inserted_together(
    settings: Settings,
) -> None:
    migrate(settings.database_url)
    inserts: list[bool] = []
    with session_factory(settings.database_url)() as session:
        session.execute(  # a written transaction, as in ingest_rows; an existing document
            insert(Document).values(
                id=41,
                source_system="PARIS",
                source_document_id="OLD",
                created_at=NOW,
                updated_at=NOW,
                state="indexed",
            )
        )
        engine = session.get_bind()

        def count(_c: object, _cur: object, sql: str, _p: object, _x: object, many: bool) -> None:
            if sql.startswith("INSERT INTO documents"):
                inserts.append(many)

        event.listen(engine, "before_cursor_execute", count)
        try:
            fresh = [_document(f"D{n}") for n in range(3)]
            session.add_all(fresh)
            assign_new_ids(session, fresh)
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert [document.id for document in fresh] == [42, 43, 44]
        assert inserts == [True]  # one executemany, not a statement each
        session.commit()
