"""The embedded search index: a tantivy index in one directory (docs/decisions/0001).

Readers reload before every call, so a search sees what any process committed. A writer is
taken for one call and released, because tantivy allows one writer per index across all
processes: holding it would lock out the loader, a reindex or an API deletion.

The directory holds generations (`gen-1`, `gen-2`, ...) and a `current` file naming the live
one (docs/decisions/0019). A rebuild fills the next generation beside the live one, then
replaces `current` with one rename: every process reads `current` before each call, so all of
them move to the new generation at once, and none ever searches a half-built one.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

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
_POINTER = "current"  # names the live generation; a rebuild replaces it with one rename
_REBUILD_LOCK = "rebuild.lock"
# An index made before generations keeps tantivy's files in the root folder itself.
_ROOT = "."
_GENERATION = re.compile(r"^gen-(\d+)$")
_T = TypeVar("_T")


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
        self._analyzer = text_analyzer()
        self._write_lock = threading.Lock()  # threads of one process queue here, not on disk
        self._open_lock = threading.Lock()
        name = self._live_name()
        # (generation name, its index) in one attribute: a thread reads both from one moment.
        self._live: tuple[str, tantivy.Index] = (name, self._open(name))

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

        def one(searcher: tantivy.Searcher) -> SearchDocument | None:
            query = tantivy.Query.term_query(self._schema, "document_id", document_id)
            found = searcher.search(query, 1)
            return _from_tantivy(searcher.doc(found.hits[0][1])) if found.hits else None

        return self._reading(one)

    def count(self) -> int:
        """How many documents the index holds."""
        return self._reading(lambda searcher: int(searcher.num_docs))

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        """Fill the next generation from `documents`, then point `current` at it; the live
        generation serves every search until then, and is deleted after."""
        with self._rebuild_lock():
            old = self._live_name()
            # Numbered past any leftover, so no name is ever live twice: a process that still
            # holds an old name can never take it for the new generation.
            name = self._next_name()
            self._sweep(keep=old)
            folder = private_folder(self.path / name)
            try:
                written = self._fill(folder, documents)
                self._point_to(name)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._current()  # this process moves now; others on their next call
            self._remove(old)
            return written

    def search(self, query: SearchQuery) -> SearchResults:
        """Ranked hits, with total and facets counted under the same access filter."""
        check_query(query)
        if query.allowed_person_ids == ():  # the caller sees nobody: nothing can match
            return SearchResults(total=0, hits=[], facets=_facets({}) if query.facets else {})
        plan = plan_text(self._analyzer, query.text)
        text = text_query(self._schema, plan) if plan is not None else None
        full = full_query(self._schema, query, text)

        def run(searcher: tantivy.Searcher) -> SearchResults:
            found = searcher.search(
                full,
                max(query.limit, 1),  # tantivy refuses a limit of 0; the slice below applies it
                count=True,
                offset=query.offset,
                # Without text there is no relevance to rank by: newest document first.
                order_by_field=None if text is not None else "newest",
            )
            facets = _facets(searcher.aggregate(full, _FACETS)) if query.facets else {}
            mark = Highlighter(searcher, text, self._schema) if query.highlight and text else None
            hits = []
            for score, address in found.hits[: query.limit]:
                doc = searcher.doc(address)
                marks = mark(doc) if mark is not None else ()
                hits.append(_hit(doc, float(score) if text is not None else 0.0, marks))
            total = getattr(found, "count", None)  # the type stub omits SearchResult.count
            return SearchResults(total=int(total or 0), hits=hits, facets=facets)

        try:
            return self._reading(run)
        except ValueError as exc:
            raise InvalidInput(f"the search index cannot run this query: {exc}") from exc

    def _ids_query(self, document_ids: Sequence[int]) -> tantivy.Query:
        # By query, not by term: delete_documents_by_term does not match unsigned fields.
        return tantivy.Query.term_set_query(self._schema, "document_id", list(document_ids))

    def _reading(self, work: Callable[[tantivy.Searcher], _T]) -> _T:
        """Run `work` on a searcher of the live generation. tantivy opens some of a segment's
        files only when a query first needs them, so a rebuild that swaps and deletes the
        generation under a running search can fail it (seen in CI: "Failed to open field
        'title's positions"): then the search runs once more on the generation that replaced
        it, which is whole. An error on a generation still live is the query's own."""
        used, searcher = self._searcher()
        try:
            return work(searcher)
        except (ValueError, OSError):
            if self._live_name() == used:
                raise
        return work(self._searcher()[1])

    def _searcher(self) -> tuple[str, tantivy.Searcher]:
        """The live generation's name and a searcher of it."""
        try:
            name, index = self._current_generation()
            index.reload()  # cheap (a read of meta.json); picks up other processes' commits
        except ValueError:
            # A rebuild swapped and deleted the generation between our read of `current` and
            # the reload: the next read of `current` names the new one.
            name, index = self._current_generation()
            index.reload()
        return name, index.searcher()

    # --- generations: the live one named by `current`, the next one filled by rebuild ---

    def _live_name(self) -> str:
        try:
            return (self.path / _POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        if (self.path / "meta.json").exists():
            return _ROOT
        name = "gen-1"  # a new index: its first generation, made empty
        self._open(name, create=True)
        self._point_to(name)
        return name

    def _open(self, name: str, *, create: bool = False) -> tantivy.Index:
        folder = private_folder(self.path / name) if create else self.path / name
        # reuse=True also makes an empty folder's index, and never wipes one another process
        # made a moment ago.
        index = tantivy.Index(self._schema, path=str(folder), reuse=True)
        index.register_tokenizer(ANALYZER, text_analyzer())
        index.config_reader(reload_policy="manual")  # _searcher reloads on every read
        return index

    def _current(self) -> tantivy.Index:
        """The live generation's index, reopened when `current` names another one."""
        return self._current_generation()[1]

    def _current_generation(self) -> tuple[str, tantivy.Index]:
        name = self._live_name()
        if name != self._live[0]:
            with self._open_lock:
                if name != self._live[0]:
                    self._live = (name, self._open(name))
        return self._live

    def _fill(self, folder: Path, documents: Iterable[SearchDocument]) -> int:
        index = self._open(folder.name, create=True)
        # A writer of its own: the live generation's stays free for the loader and the API.
        writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        written = 0
        try:
            for doc in documents:  # the writer flushes a segment whenever its heap fills
                writer.add_document(_to_tantivy(doc))
                written += 1
            writer.commit()
        except ValueError as exc:
            writer.rollback()
            raise TransientBackendError(f"search index rebuild failed: {exc}") from exc
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        return written

    def _point_to(self, name: str) -> None:
        # Write beside, then rename over: a reader sees the old name or the new, never half.
        draft = self.path / f"{_POINTER}.{os.getpid()}.{threading.get_ident()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(name)
            out.flush()
            os.fsync(out.fileno())
        os.replace(draft, self.path / _POINTER)

    def _next_name(self) -> str:
        found = (_GENERATION.match(p.name) for p in self.path.iterdir())
        return f"gen-{max((int(m.group(1)) for m in found if m), default=0) + 1}"

    def _sweep(self, keep: str) -> None:
        """Remove generations other than the live one: left by a rebuild that was killed."""
        for folder in self.path.iterdir():
            if _GENERATION.match(folder.name) and folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)

    def _remove(self, name: str) -> None:
        """Delete a replaced generation. A process still searching it keeps its open files
        (POSIX keeps an unlinked file until its last handle closes); its next call reads
        `current` and opens the new generation."""
        if name != _ROOT:
            shutil.rmtree(self.path / name, ignore_errors=True)
            return
        for item in self.path.iterdir():  # the files of an index made before generations
            if item.is_file() and item.name != _REBUILD_LOCK and not item.name.startswith(_POINTER):
                item.unlink(missing_ok=True)

    @contextmanager
    def _rebuild_lock(self) -> Iterator[None]:
        fd = os.open(self.path / _REBUILD_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise TransientBackendError("another rebuild of this index is running") from exc
            yield
        finally:
            os.close(fd)  # closing releases the lock

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
            self._live[1].reload()  # visible to this process's searches when the call returns

    def _acquire_writer(self) -> tantivy.IndexWriter:
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                return self._current().writer(heap_size=_WRITER_HEAP, num_threads=1)
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
