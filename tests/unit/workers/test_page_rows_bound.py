"""A long scan's page rows are written in slices within the catalog's one bound on parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select

from catalog.db import IN_LIST_MAX, session_factory
from catalog.documents import ensure_blob
from catalog.models import Document, DocumentPage
from catalog.schema import migrate
from core.settings import Settings
from workers import tasks
from workers.extract.base import PageText


def test_a_thousand_page_scan_writes_its_rows_within_the_bound(settings: Settings) -> None:
    migrate(settings.database_url)
    now = datetime(2024, 1, 1)
    sizes: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO document_pages"):
            sizes.append(len(params))

    with session_factory(settings.database_url)() as session:
        ensure_blob(session, sha256="a" * 64, key="k", size=1, mime="application/pdf", now=now)
        document = Document(
            source_system="PARIS",
            source_document_id="D1",
            sha256="a" * 64,
            title="Scan",
            doc_type="other",
            state="stored",
            created_at=now,
            updated_at=now,
        )
        session.add(document)
        session.flush()
        pages = [PageText(page_no=n, text=None) for n in range(1, 1201)]
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            tasks._write_pages(session, document.id, "a" * 64, pages)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        written = session.scalar(select(func.count()).select_from(DocumentPage))
    assert written == 1200
    assert sizes and max(sizes) <= IN_LIST_MAX
