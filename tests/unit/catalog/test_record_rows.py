"""ledger.record_rows: ingest's values for its rows, in one statement; the loaded rows hold
them as committed, so no flush writes them again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, select

from catalog import ledger
from catalog.db import session_factory
from catalog.models import Batch, LedgerRow
from catalog.schema import migrate
from core.settings import Settings
from core.states import RowState

NOW = datetime(2026, 12, 7, 23, 0)


def test_rows_take_their_values_in_one_statement_and_stay_clean(settings: Settings) -> None:
    migrate(settings.database_url)
    make = session_factory(settings.database_url)
    with make() as session:
        session.add(
            Batch(
                name="b",
                manifest_path="m.csv",
                manifest_sha256="",
                people_path="",
                mapping_sha256="",
                people_sha256="",
                status="loading",
                started_at=NOW,
            )
        )
        session.flush()
        ledger.add_rows(
            session,
            [
                {
                    "batch": "b",
                    "line_no": n,
                    "source_system": "P",
                    "source_document_id": f"D{n}",
                    "state": RowState.PENDING,
                    "detail": "",
                    "change": change,
                    "payload": {},
                    "updated_at": NOW,
                }
                for n, change in ((2, ""), (3, "new"))
            ],
        )
        session.commit()
        rows = list(session.scalars(select(LedgerRow).order_by(LedgerRow.line_no)))
        statements: list[str] = []
        event.listen(
            session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        later = datetime(2026, 12, 7, 23, 5)
        ledger.record_rows(
            session,
            [
                (
                    row,
                    {
                        "change": row.change or "unchanged",
                        "sha256": "ab" * 32,
                        "document_id": None,
                        "state": RowState.STORED,
                        "reason": None,
                        "detail": f"line {row.line_no}",
                        "updated_at": later,
                    },
                )
                for row in rows
            ],
        )
        assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
        assert not session.dirty and rows[0].detail == "line 2"
        session.flush()
        assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
        session.commit()
        got = session.execute(
            select(
                LedgerRow.change, LedgerRow.state, LedgerRow.detail, LedgerRow.updated_at
            ).order_by(LedgerRow.line_no)
        ).all()
        assert [tuple(g) for g in got] == [
            ("unchanged", "stored", "line 2", later),
            ("new", "stored", "line 3", later),
        ]
