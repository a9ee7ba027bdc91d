"""The embedded search index: a tantivy index in one directory (docs/decisions/0001).

Readers reload before every call, so a search sees what any process committed. A writer is
taken for one call and released, because tantivy allows one writer per index across all
processes: holding it would lock out the loader, a reindex or an API deletion.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tantivy

from core.errors import InvalidInput, TransientBackendError
from core.files import private_folder
from indexer.base import (
    SearchDocument,
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResults,
    check_query,
)
from indexer.highlight import Highlighter
from indexer.query import ANALYZER, UNLINKED, full_query, plan_text, text_analyzer, text_query

_WRITER_HEAP = 64_000_000  # plenty for a 500-document batch; more only delays the first flush
_LOCK_WAIT_S = 30.0  # how long a write queues behind another process's writer
_EPOCH = date(1800, 1, 1)
_ID_BITS = 40  # document IDs below 2**40 fit beside the day number in one sort key


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("document_id", stored=True, indexed=True, fast=True)
    b.add_text_field("title", stored=True, tokenizer_name=ANALYZER)
    b.add_text_field("text", stored=True, tokenizer_name=ANALYZER)
    # Filter values are single raw terms: matched exactly, never stemmed.
    b.add_text_field("person", stored=True, tokenizer_name="raw")
    b.add_text_field("doc_type", stored=True, fast=True, tokenizer_name="raw")
    b.add_text_field("source_system", stored=True, tokenizer_name="raw")
    b.add_text_field("source_document_id", stored=True, tokenizer_name="raw")
    b.add_text_field("access_tag", stored=True, tokenizer_name="raw")
    b.add_date_field("date", stored=True, indexed=True, fast=True)
    b.add_unsigned_field("year", indexed=True, fast=True)
    # Newest first with a stable tie-break in one fast field: (day << 40) | document_id.
    b.add_unsigned_field("newest", fast=True)
    return b.build()


class EmbeddedIndex:
    """SearchIndex over a tantivy directory. Safe for many threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_folder(path)  # the records' text: only the service's user may read it
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(path), reuse=True)
        self._index.register_tokenizer(ANALYZER, text_analyzer())
        self._index.config_reader(reload_policy="manual")  # _searcher reloads on every read
        self._analyzer = text_analyzer()
        self._write_lock = threading.Lock()  # threads of one process queue here, not on disk

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents by document_id in one commit."""
        docs = list({d.document_id: d for d in documents}.values())
        if docs:
            with self._writer() as writer:
                writer.delete_documents_by_query(self._ids_query([d.document_id for d in docs]))
                for doc in docs:
                    writer.add_document(_to_tantivy(doc))
        return len(docs)

    def delete(self, document_ids: Sequence[int]) -> None:
        """Remove documents; missing IDs are a no-op."""
        if document_ids:
            with self._writer() as writer:
                writer.delete_documents_by_query(self._ids_query(document_ids))

    def get(self, document_id: int) -> SearchDocument | None:
        """The stored entry for one document, or None."""
        searcher = self._searcher()
        found = searcher.search(
            tantivy.Query.term_query(self._schema, "document_id", document_id), 1
        )
        if not found.hits:
            return None
        return _from_tantivy(searcher.doc(found.hits[0][1]))

    def count(self) -> int:
        """How many documents the index holds."""
        return int(self._searcher().num_docs)

    def clear(self) -> None:
        """Remove every document."""
        with self._writer() as writer:
            writer.delete_all_documents()

    def search(self, query: SearchQuery) -> SearchResults:
        """Ranked hits, with total and facets counted under the same access filter."""
        check_query(query)
        if query.allowed_person_ids == ():  # the caller sees nobody: nothing can match
            return SearchResults(total=0, hits=[], facets=_facets({}) if query.facets else {})
        plan = plan_text(self._analyzer, query.text)
        text = text_query(self._schema, plan) if plan is not None else None
        full = full_query(self._schema, query, text)
        searcher = self._searcher()
        try:
            found = searcher.search(
                full,
                max(query.limit, 1),  # tantivy refuses a limit of 0; the slice below applies it
                count=True,
                offset=query.offset,
                # Without text there is no relevance to rank by: newest document first.
                order_by_field=None if text is not None else "newest",
            )
            facets = _facets(searcher.aggregate(full, _FACETS)) if query.facets else {}
        except ValueError as exc:
            raise InvalidInput(f"the search index cannot run this query: {exc}") from exc
        mark = Highlighter(searcher, text, self._schema) if query.highlight and text else None
        hits = []
        for score, address in found.hits[: query.limit]:
            doc = searcher.doc(address)
            marks = mark(doc) if mark is not None else ()
            hits.append(_hit(doc, float(score) if text is not None else 0.0, marks))
        total = getattr(found, "count", None)  # the type stub omits SearchResult.count
        return SearchResults(total=int(total or 0), hits=hits, facets=facets)

    def _ids_query(self, document_ids: Sequence[int]) -> tantivy.Query:
        # By query, not by term: delete_documents_by_term does not match unsigned fields.
        return tantivy.Query.term_set_query(self._schema, "document_id", list(document_ids))

    def _searcher(self) -> tantivy.Searcher:
        self._index.reload()  # cheap (a read of meta.json); picks up other processes' commits
        return self._index.searcher()

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        with self._write_lock:
            writer = self._acquire_writer()
            try:
                yield writer
                writer.commit()
            except ValueError as exc:
                writer.rollback()
                raise TransientBackendError(f"search index write failed: {exc}") from exc
            except BaseException:
                writer.rollback()
                raise
            finally:
                # Finishing merges here keeps the segment count low; it also drops the
                # writer, which releases the index lock for other processes.
                writer.wait_merging_threads()
            self._index.reload()  # visible to this process's searches when the call returns

    def _acquire_writer(self) -> tantivy.IndexWriter:
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                return self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise TransientBackendError(f"search index writer busy: {exc}") from exc
            time.sleep(random.uniform(0.02, 0.1))  # jitter: waiting writers do not retry in step


_FACETS = {
    "doc_type": {"terms": {"field": "doc_type", "size": 10_000}},
    "year": {"terms": {"field": "year", "size": 10_000}},
}


def _facets(raw: dict[str, Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {"doc_type": {}, "year": {}}
    for bucket in raw.get("doc_type", {}).get("buckets", []):
        out["doc_type"][str(bucket["key"])] = int(bucket["doc_count"])
    for bucket in raw.get("year", {}).get("buckets", []):
        # Numeric terms come back as floats ("2019.0"); years are whole.
        out["year"][str(int(bucket["key"]))] = int(bucket["doc_count"])
    return out


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _to_tantivy(d: SearchDocument) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_unsigned("document_id", d.document_id)
    doc.add_text("title", d.title)
    doc.add_text("text", d.text)
    for person in d.person_ids or (UNLINKED,):
        doc.add_text("person", person)
    for tag in d.access_tags:
        doc.add_text("access_tag", tag)
    doc.add_text("doc_type", d.doc_type)
    doc.add_text("source_system", d.source_system)
    doc.add_text("source_document_id", d.source_document_id)
    day = 0
    if d.document_date is not None:
        doc.add_date("date", _midnight(d.document_date))
        doc.add_unsigned("year", d.document_date.year)
        day = (d.document_date - _EPOCH).days + 1  # undated documents (0) sort last
    doc.add_unsigned("newest", (day << _ID_BITS) | d.document_id)
    return doc


def _document_id(doc: tantivy.Document) -> int:
    value = doc.get_first("document_id")
    assert isinstance(value, int), "every indexed document has a document_id"
    return value


def _date(doc: tantivy.Document) -> date | None:
    value = doc.get_first("date")
    return value.date() if isinstance(value, datetime) else None


def _people(doc: tantivy.Document) -> tuple[str, ...]:
    return tuple(str(p) for p in doc.get_all("person") if p != UNLINKED)


def _from_tantivy(doc: tantivy.Document) -> SearchDocument:
    return SearchDocument(
        document_id=_document_id(doc),
        title=str(doc.get_first("title") or ""),
        text=str(doc.get_first("text") or ""),
        source_system=str(doc.get_first("source_system")),
        source_document_id=str(doc.get_first("source_document_id")),
        person_ids=_people(doc),
        doc_type=str(doc.get_first("doc_type")),
        document_date=_date(doc),
        access_tags=tuple(str(t) for t in doc.get_all("access_tag")),
    )


def _hit(doc: tantivy.Document, score: float, marks: tuple[str, ...]) -> SearchHit:
    return SearchHit(
        document_id=_document_id(doc),
        source_system=str(doc.get_first("source_system")),
        source_document_id=str(doc.get_first("source_document_id")),
        person_ids=_people(doc),
        doc_type=str(doc.get_first("doc_type")),
        document_date=_date(doc),
        title=str(doc.get_first("title") or ""),
        score=score,
        highlights=marks,
    )


def _conforms(index: EmbeddedIndex) -> SearchIndex:
    return index  # mypy checks here that EmbeddedIndex satisfies the protocol
