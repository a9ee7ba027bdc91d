"""An SQLite FTS5 SearchIndex, kept so bench_search.py can measure it beside EmbeddedIndex.

It was the other candidate for the embedded index (docs/decisions/0001) and answers the same
queries with the same semantics, so the timings compare like with like.

`docs` holds one narrow row per document (filters, facets, result fields); `content` holds
title, text and the filter tokens, and is the external content of the FTS5 table `docs_fts`,
so text is stored once. WAL mode lets API processes read while one loader writes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from bench.fts5_query import filter_tokens, match_expression, text_expression
from core.errors import InvalidInput, TransientBackendError
from indexer.base import SearchDocument, SearchHit, SearchQuery, SearchResults
from indexer.highlight import snippets

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    document_id INTEGER PRIMARY KEY,
    source_system TEXT NOT NULL,
    source_document_id TEXT NOT NULL,
    person_ids TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    document_date TEXT,
    year INTEGER,
    linked INTEGER NOT NULL,
    access_tags TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_newest ON docs (document_date DESC, document_id DESC);
CREATE TABLE IF NOT EXISTS content (
    document_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    filt TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5 (
    title, text, filt,
    content = 'content', content_rowid = 'document_id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
# Title matches count four times a body match; filter tokens must not affect ranking.
_RANK = "bm25(docs_fts, 4.0, 1.0, 0.0)"
# Control characters never survive extraction into indexed text, so they are safe markers.
_OPEN, _CLOSE = "\x02", "\x03"
_MARKED = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)
_BUSY_TIMEOUT_MS = 10_000


class Fts5Index:
    """SearchIndex over one SQLite file. Safe for many threads; one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._write() as db:
            # Statement by statement: executescript would commit the open transaction.
            for statement in _SCHEMA.split(";"):
                db.execute(statement)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: transactions are opened explicitly in _write.
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # durable enough: the catalog is the truth
            self._local.db = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        try:
            # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
            # instead of one failing halfway through with SQLITE_BUSY.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise TransientBackendError(f"search index write failed: {exc}") from exc

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents by document_id in one transaction."""
        docs = list({d.document_id: d for d in documents}.values())
        if not docs:
            return 0
        with self._write() as db:
            _remove(db, [d.document_id for d in docs])
            db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [_docs_row(d) for d in docs]
            )
            rows = [(d.document_id, d.title, d.text, filter_tokens(d)) for d in docs]
            db.executemany("INSERT INTO content VALUES (?, ?, ?, ?)", rows)
            db.executemany(
                "INSERT INTO docs_fts (rowid, title, text, filt) VALUES (?, ?, ?, ?)", rows
            )
        return len(docs)

    def delete(self, document_ids: Sequence[int]) -> None:
        """Remove documents; missing IDs are a no-op."""
        if document_ids:
            with self._write() as db:
                _remove(db, list(document_ids))

    def get(self, document_id: int) -> SearchDocument | None:
        """The stored entry for one document, or None."""
        row = (
            self._db()
            .execute(
                "SELECT d.document_id, c.title, c.text, d.source_system, d.source_document_id,"
                " d.person_ids, d.doc_type, d.document_date, d.access_tags"
                " FROM docs d JOIN content c USING (document_id) WHERE d.document_id = ?",
                (document_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return SearchDocument(
            document_id=row[0],
            title=row[1],
            text=row[2],
            source_system=row[3],
            source_document_id=row[4],
            person_ids=tuple(json.loads(row[5])),
            doc_type=row[6],
            document_date=_date(row[7]),
            access_tags=tuple(json.loads(row[8])),
        )

    def count(self) -> int:
        """How many documents the index holds."""
        return int(self._db().execute("SELECT count(*) FROM docs").fetchone()[0])

    def clear(self) -> None:
        """Remove every document."""
        with self._write() as db:
            db.execute("INSERT INTO docs_fts (docs_fts) VALUES ('delete-all')")
            db.execute("DELETE FROM content")
            db.execute("DELETE FROM docs")

    def search(self, query: SearchQuery) -> SearchResults:
        """Ranked hits with totals and facets computed under the same access filter."""
        if query.limit < 0 or query.offset < 0:
            raise InvalidInput("limit and offset must not be negative")
        if query.allowed_person_ids == ():
            return SearchResults(total=0, hits=[], facets=_empty_facets(query))
        match = match_expression(query)
        from_where, params = _from_where(query, match)
        db = self._db()
        try:
            total, facets = _aggregate(db, from_where, params, query.facets)
            ranked = text_expression(query.text) is not None
            order = (
                f"{_RANK}, d.document_id" if ranked else "d.document_date DESC, d.document_id DESC"
            )
            score = f"-{_RANK}" if ranked else "0.0"
            rows = db.execute(
                f"SELECT d.document_id, {score}, d.source_system, d.source_document_id,"
                f" d.person_ids, d.doc_type, d.document_date {from_where}"
                f" ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
            titles = _titles(db, [r[0] for r in rows])
            marks = _highlights(db, query.text, [r[0] for r in rows]) if query.highlight else {}
        except sqlite3.OperationalError as exc:
            raise TransientBackendError(f"search index read failed: {exc}") from exc
        hits = [
            SearchHit(
                document_id=r[0],
                source_system=r[2],
                source_document_id=r[3],
                person_ids=tuple(json.loads(r[4])),
                doc_type=r[5],
                document_date=_date(r[6]),
                title=titles.get(r[0], ""),
                score=float(r[1]),
                highlights=marks.get(r[0], ()),
            )
            for r in rows
        ]
        return SearchResults(total=total, hits=hits, facets=facets)


def _docs_row(d: SearchDocument) -> tuple[Any, ...]:
    day = d.document_date
    return (
        d.document_id,
        d.source_system,
        d.source_document_id,
        json.dumps(list(d.person_ids)),
        d.doc_type,
        day.isoformat() if day else None,
        day.year if day else None,
        1 if d.person_ids else 0,
        json.dumps(list(d.access_tags)),
    )


def _remove(db: sqlite3.Connection, ids: list[int]) -> None:
    # External-content FTS5 needs the old values to remove their postings, so the 'delete'
    # command is fed from the content table before the rows themselves go.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(
            "INSERT INTO docs_fts (docs_fts, rowid, title, text, filt)"
            f" SELECT 'delete', document_id, title, text, filt FROM content"
            f" WHERE document_id IN ({marks})",
            chunk,
        )
        db.execute(f"DELETE FROM content WHERE document_id IN ({marks})", chunk)
        db.execute(f"DELETE FROM docs WHERE document_id IN ({marks})", chunk)


def _from_where(query: SearchQuery, match: str | None) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if match is not None:
        # CROSS JOIN pins FTS5 as the outer loop: the planner must never probe MATCH per row.
        source = "FROM docs_fts CROSS JOIN docs d ON d.document_id = docs_fts.rowid"
        conditions.append("docs_fts MATCH ?")
        params.append(match)
    else:
        source = "FROM docs d"
    if query.date_from is not None:
        conditions.append("d.document_date >= ?")
        params.append(query.date_from.isoformat())
    if query.date_to is not None:
        conditions.append("d.document_date <= ?")
        params.append(query.date_to.isoformat())
    if not query.include_unlinked:
        conditions.append("d.linked = 1")
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    return source + where, params


def _aggregate(
    db: sqlite3.Connection, from_where: str, params: list[Any], facets: bool
) -> tuple[int, dict[str, dict[str, int]]]:
    if not facets:
        return int(db.execute(f"SELECT count(*) {from_where}", params).fetchone()[0]), {}
    # One pass gives the total and both facets: group by the pair, then fold.
    rows = db.execute(
        f"SELECT d.doc_type, d.year, count(*) {from_where} GROUP BY d.doc_type, d.year", params
    ).fetchall()
    by_type: dict[str, int] = {}
    by_year: dict[str, int] = {}
    for doc_type, year, n in rows:
        by_type[doc_type] = by_type.get(doc_type, 0) + n
        if year is not None:
            by_year[str(year)] = by_year.get(str(year), 0) + n
    return sum(by_type.values()), {"doc_type": by_type, "year": by_year}


def _empty_facets(query: SearchQuery) -> dict[str, dict[str, int]]:
    return {"doc_type": {}, "year": {}} if query.facets else {}


def _titles(db: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"SELECT document_id, title FROM content WHERE document_id IN ({marks})", ids
    ).fetchall()
    return {int(i): str(t) for i, t in rows}


def _highlights(db: sqlite3.Connection, text: str, ids: list[int]) -> dict[int, tuple[str, ...]]:
    expression = text_expression(text)
    if expression is None or not ids:
        return {}
    marks = ",".join("?" * len(ids))
    # Only the text clause is highlighted, so filter tokens never mark words in the body.
    rows = db.execute(
        f"SELECT rowid, highlight(docs_fts, 1, '{_OPEN}', '{_CLOSE}'),"
        f" highlight(docs_fts, 0, '{_OPEN}', '{_CLOSE}')"
        f" FROM docs_fts WHERE docs_fts MATCH ? AND rowid IN ({marks})",
        [expression, *ids],
    ).fetchall()
    return {
        int(i): snippets(*_unmark(body)) or snippets(*_unmark(title)) for i, body, title in rows
    }


def _unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without markers, and the spans the markers enclosed."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length, last = 0, 0
    for match in _MARKED.finditer(marked):
        parts.append(marked[last : match.start()])
        length += match.start() - last
        parts.append(match.group(1))
        spans.append((length, length + len(match.group(1))))
        length += len(match.group(1))
        last = match.end()
    parts.append(marked[last:])
    return "".join(parts), spans


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
