from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, select

from catalog.db import session_factory
from catalog.ledger import mark_duplicates
from catalog.models import LedgerRow
from catalog.schema import migrate
from core.settings import Settings
from workers.register import file_sha256, register_manifest
from workers.sources.mapping import load_mapping

HEADER = "source_system,source_document_id,legacy_person_id,file_path\n"


def _states(settings: Settings, batch: str) -> list[tuple[int, str, str | None, str]]:
    with session_factory(settings.database_url)() as session:
        rows = session.scalars(
            select(LedgerRow).where(LedgerRow.batch == batch).order_by(LedgerRow.line_no)
        )
        return [(r.line_no, r.state, r.reason, r.detail) for r in rows]


def test_every_row_registered_with_duplicates_and_bad_rows_marked(
    settings: Settings, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        HEADER
        + "PARIS,D1,1,a.txt\n"
        + "PARIS,D2,1,b.txt\n"
        + "PARIS,,1,c.txt\n"  # unreadable: no source document ID
        + "PARIS,D1,1,a.txt\n"  # the same source document again
        + "CAREFIRST,D1,1,d.txt\n",  # same ID, another system: not a duplicate
        encoding="utf-8",
    )
    migrate(settings.database_url)
    digest = file_sha256(manifest)
    with session_factory(settings.database_url)() as session:
        record = register_manifest(
            session,
            batch="b1",
            manifest=manifest,
            manifest_sha256=digest,
            people=None,
            mapping=load_mapping(),
        )
        assert record.rows_total == 5
        # Registering again adds nothing and changes nothing.
        register_manifest(
            session,
            batch="b1",
            manifest=manifest,
            manifest_sha256=digest,
            people=None,
            mapping=load_mapping(),
        )
    states = _states(settings, "b1")
    assert [(line, state, reason) for line, state, reason, _ in states] == [
        (2, "pending", None),
        (3, "pending", None),
        (4, "quarantined", "bad_row"),
        (5, "duplicate", "same_source_id"),
        (6, "pending", None),
    ]
    # File lines (the header is line 1), as the manifest's editor shows them.
    assert states[3][3] == "same source document as line 2"
    assert "line 4" in states[2][3]


def test_duplicate_marking_finds_earlier_lines_by_index_not_by_scanning_the_batch(
    settings: Settings,
) -> None:
    """With (batch, line_no) the planner scanned every earlier line of the batch for each row:
    quadratic, hours on a 2M-row manifest. The source index must answer the look-up."""
    migrate(settings.database_url)
    statements: list[tuple[str, object]] = []

    def capture(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        if sql.lstrip().upper().startswith("UPDATE LEDGER"):
            statements.append((sql, params))

    with session_factory(settings.database_url)() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            mark_duplicates(session, "b1")
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        [(sql, params)] = statements
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "USING COVERING INDEX ix_ledger_source_line" in details, details


def test_legacy_url_column_is_kept_on_the_ledger_row_not_in_extra(
    settings: Settings, tmp_path: Path
) -> None:
    """The manifest's optional legacy_url (the old system's link) lands on the ledger row, for
    the legacy-link routes; a row without one has none, and a URL with a line break is a bad
    row, not a link."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "source_system,source_document_id,legacy_person_id,file_path,legacy_url\n"
        "PARIS,D1,1,a.txt,https://escr.old.example/docs/view?id=D1\n"
        "PARIS,D2,1,b.txt,\n"
        'PARIS,D3,1,c.txt,"https://escr.old.example/docs/\nD3"\n',
        encoding="utf-8",
    )
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        register_manifest(
            session,
            batch="links",
            manifest=manifest,
            manifest_sha256=file_sha256(manifest),
            people=None,
            mapping=load_mapping(),
        )
        rows = session.scalars(select(LedgerRow).order_by(LedgerRow.line_no)).all()
        by_id = {r.source_document_id: r for r in rows}
        assert by_id["D1"].legacy_url == "https://escr.old.example/docs/view?id=D1"
        assert "legacy_url" not in by_id["D1"].payload["extra"]
        assert by_id["D2"].legacy_url is None
        assert by_id["D3"].reason == "bad_row"
        assert by_id["D3"].legacy_url is None
