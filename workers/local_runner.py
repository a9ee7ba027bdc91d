"""The single-machine runner: sandbox children read, store and extract the files, the main
thread records (docs/decisions/0013).

The catalog work goes in groups: a page of ledger rows, or every extraction that has finished,
in one savepoint and a handful of statements (per row, the statements cost more than the row;
docs/decisions/0011). A group that fails is rolled back and redone one item at a time, so our
own bug on one row fails that row with a reason and the batch goes on. Commits come every
COMMIT_EVERY_S: a SIGKILL loses at most that much work, which the next run redoes from the ledger.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from catalog import ledger
from catalog.db import after_commit
from catalog.documents import (
    cache_texts,
    cached_text_chars,
    drop_cached_texts,
    known_sources,
)
from catalog.models import Document, LedgerRow
from core.logging import get_logger
from core.states import Reason, RowState
from storage.base import content_key
from storage.local import LocalBlobStore
from workers import pipeline, sandbox
from workers.attachments import discard_files
from workers.extract.base import TEXT_LAYERS, ExtractionResult, PageRange, split_pages
from workers.extract.registry import reads_page_ranges
from workers.ingest import Quarantined, Spooled, SpoolResult, StoredFile
from workers.link import LinkDecision
from workers.sandbox import SandboxPool
from workers.stages import DOCUMENT_FAILURE, INGEST_FAILURE, Failure, PageRanges

log = get_logger(__name__)
INDEX_EVERY = 500  # a tantivy writer costs ~50 ms to open and commit
# ...or sooner, once the texts waiting for the index hold this many characters: 500 court
# bundles of millions of characters each must not fill the loader's memory.
INDEX_TEXT_CHARS = 50_000_000
COMMIT_EVERY_S = 0.5
# Extractions queued ahead: enough to keep the children busy while the main thread records
# the next page, few enough that a page of results is never far behind.
MAX_IN_FLIGHT = 400
DRAIN_AT_LEAST = 50
# Pages whose files the children read while the main thread records: two keep them busy
# through an index write (a few tenths of a second) without holding many rows in memory.
PAGES_AHEAD = 2
READ_CHUNK = 25  # files per sandbox job that reads them (a round trip per file cost more)
# Documents a killed run left part-way, taken on a page at a time once every row is recorded.
RESUME_PAGE = 200
# Documents the crosswalk could not link wait for the matcher until this many: one Splink run
# and one trained model for them instead of one a group (docs/decisions/0031).
MATCH_EVERY = 2_000
UNFINISHED_STATES = (RowState.STORED, RowState.EXTRACTED, RowState.PENDING_INDEX)

_Item = TypeVar("_Item")


def _import_matcher() -> None:
    import pyarrow  # noqa: F401  (the matcher's tables go to DuckDB as Arrow)

    import workers.matching.model  # noqa: F401


class _ReadFile(NamedTuple):
    """A ledger row with what reading its file gave."""

    row: LedgerRow
    # The file read and stored, or why the row ends (Quarantined), or the error our own reading
    # code raised (a store that is down): that row fails, the load goes on.
    found: StoredFile | Quarantined | Exception
    # The text read with the file, in the same sandbox job (a new document's); None otherwise.
    extraction: ExtractionResult | None


@dataclass
class RunCounts:
    """What this run did (the batch's states are in the reconciliation)."""

    processed: int = 0
    extracted: int = 0
    attachments: int = 0
    failed: int = 0
    changes: dict[str, int] = field(default_factory=dict)

    def add(self, other: RunCounts) -> None:
        for name in (f.name for f in fields(self) if f.name != "changes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for change, count in other.changes.items():
            self.changes[change] = self.changes.get(change, 0) + count


@dataclass
class _Effects:
    """What a group did outside the catalog. Applied only once its savepoint is released: a
    group that fails is redone item by item, and must not have submitted or counted twice.
    (Index writes wait for the commit itself: catalog.db.after_commit.)"""

    extract: list[Document] = field(default_factory=list)
    counts: RunCounts = field(default_factory=RunCounts)


@dataclass
class _Extraction:
    """One document being extracted: its file (held open until every job on it is back) and,
    for a paged format read by range, the pages read so far (docs/decisions/0014)."""

    document_id: int
    stack: ExitStack
    path: str
    mime: str
    ranges: PageRanges | None = None  # once the text layers are back
    ranges_out: int = 0


@dataclass
class _InFlight:
    extraction: _Extraction
    pages: PageRange | None  # None: the whole file in one job


@dataclass
class _Reading:
    """A chunk of rows whose files a sandbox child is reading."""

    rows: list[LedgerRow]
    found: list[Path | Quarantined]  # each row's file, or why it has none
    paths: list[Path]  # the files sent to the child
    extract: list[bool]  # for each: read its text too (a new document)
    spooling: Future[list[SpoolResult]] | None


class LocalRunner:
    """Process one registered batch to the end with the given pool's sandboxed children."""

    def __init__(
        self,
        ctx: pipeline.Context,
        session: Session,
        *,
        batch: str,
        archive_root: Path,
        pool: SandboxPool,
        progress: bool = True,
        pages_per_task: int = 10,
    ) -> None:
        self.ctx, self.session, self.batch = ctx, session, batch
        self.archive_root, self.pool = archive_root, pool
        self.progress = progress
        self.pages_per_task = pages_per_task  # pages OCRed in one sandbox job
        self.counts = RunCounts()
        self.in_flight: dict[Future[ExtractionResult], _InFlight] = {}
        self.extracting: set[int] = set()  # the documents of in_flight's jobs
        self.finished: queue.SimpleQueue[Future[ExtractionResult]] = queue.SimpleQueue()
        self.to_index: list[int] = []  # documents committed pending_index (after_commit)
        # Index writes run on a thread of their own, in order, while the main thread goes on;
        # their documents are marked indexed once each write has returned (decision 0050).
        self.index_thread = ThreadPoolExecutor(1, thread_name_prefix="index-write")
        self.writes: deque[tuple[list[Document], Future[int]]] = deque()
        self.last_commit = time.monotonic()
        self.matcher_import: threading.Thread | None = None  # _import_matcher_early
        # A local store is written by the children that read the files (docs/decisions/0013).
        self.local_store = ctx.store if isinstance(ctx.store, LocalBlobStore) else None
        cache_texts(session)
        if ctx.deferred is None:
            ctx.deferred = []

    def run(self, total: int) -> RunCounts:
        try:
            return self._run(total)
        finally:  # never leave a write half done when the process ends
            self.index_thread.shutdown(wait=True)

    def _run(self, total: int) -> RunCounts:
        bar = tqdm(
            total=total, unit="row", file=sys.stderr, disable=not self.progress, smoothing=0.05
        )
        for page_rows, page in self._pages_with_files():
            # Read a page ahead, so the expunge below detached these rows: take them back.
            self.session.add_all([row for row, _, _ in page])
            try:
                self._in_groups(page, self._ingest_group, self._fail_row)
            finally:  # extracted with their files, recorded or not
                for _, _, text in page:
                    if text is not None:
                        discard_files(text.attachments)
            bar.update(page_rows)  # the rows that ended at registration too
            bar.set_postfix(extracting=len(self.in_flight), refresh=False)
            self._drain(block=False)
            while len(self.in_flight) > MAX_IN_FLIGHT:
                self._drain(block=True)
            self._import_matcher_early()
            if len(self.ctx.deferred or ()) >= MATCH_EVERY:
                self._match_deferred()
            self._commit()
            self.session.expunge_all()  # keep memory flat on big archives
        self._finish_in_flight(bar)
        self._match_deferred()
        self._resume_documents()
        self._finish_in_flight(bar)
        self._match_deferred()
        if self.matcher_import is not None:
            # Done by now (the matcher waited for it), unless no subject was left to score:
            # never left importing while the interpreter shuts down.
            self.matcher_import.join()
        self._commit(index_all=True)
        self._mark_written(wait=True)
        self.session.commit()
        bar.close()
        return self.counts

    def _finish_in_flight(self, bar: tqdm[None]) -> None:
        """Record every extraction still out (the bar counts them down)."""
        while self.in_flight:
            self._drain(block=True)
            bar.set_postfix(extracting=len(self.in_flight))

    def _resume_documents(self) -> None:
        """Take on the documents of the batch an earlier, killed run left part-way: stored,
        extracted or waiting for the index. Attachments have no ledger row, so the pages
        above never see them once their parent has moved on; without this they stayed so
        for good, never searchable, in a batch reported complete. Nothing is out now: every
        unfinished document of the batch is one of these, but this run's own: those waiting
        for the index, and those this loop has sent to be extracted (an attachment's own
        attachments, created with later IDs while it goes)."""
        self._commit()  # what this run has classified joins to_index
        last_id = 0
        while page := self._unfinished_documents(last_id):
            last_id = page[-1].id
            ours = self.extracting.union(self.to_index, self._being_written())
            stranded = [document for document in page if document.id not in ours]
            if stranded:
                self._in_groups(stranded, self._advance, self._fail_resumed)
            self._drain(block=False)
            while len(self.in_flight) > MAX_IN_FLIGHT:
                self._drain(block=True)
            self._commit()
            self.session.expunge_all()  # keep memory flat, as the pages above do

    def _import_matcher_early(self) -> None:
        """Once a document waits for the matcher, import Splink, DuckDB and Arrow (0.22 s of
        CPU, 0.65-0.75 s on the clock with the machine busy) on a thread while the children
        read files, instead of at the end of the load when they are idle (decision 0036)."""
        if self.ctx.deferred and self.matcher_import is None:
            self.matcher_import = threading.Thread(
                target=_import_matcher, name="matcher-import", daemon=True
            )
            self.matcher_import.start()

    def _match_deferred(self) -> None:
        """Match the documents waiting for the matcher; they then wait for the index."""
        waiting = list(self.ctx.deferred or ())
        if self.ctx.deferred:
            self.ctx.deferred.clear()
        if waiting:
            self._in_groups(waiting, self._match, self._fail_match)

    def _match(self, items: Sequence[tuple[int, LinkDecision]], _: _Effects) -> None:
        documents = pipeline.match_deferred(self.ctx, self.session, items)
        after_commit(self.session, partial(self.to_index.extend, [d.id for d in documents]))

    def _fail_match(self, item: tuple[int, LinkDecision], detail: str) -> None:
        self._fail(DOCUMENT_FAILURE, item[0], detail)

    def _unfinished_documents(self, after_id: int) -> list[Document]:
        return list(
            self.session.scalars(
                select(Document)
                .where(
                    Document.batch == self.batch,
                    Document.state.in_(UNFINISHED_STATES),
                    Document.id > after_id,
                )
                .order_by(Document.id)
                .limit(RESUME_PAGE)
            )
        )

    def _fail_resumed(self, document: Document, detail: str) -> None:
        self._fail(DOCUMENT_FAILURE, document.id, detail)

    def _pages_with_files(self) -> Iterator[tuple[int, list[_ReadFile]]]:
        """The batch's pages: how many rows each has, and those still to process with their
        files read and stored. The next pages' files are read while this one is recorded."""
        ahead: deque[tuple[int, list[_Reading]]] = deque()
        for page in ledger.iter_rows(self.session, self.batch):
            rows = [r for r in page if r.state != RowState.DUPLICATE and r.reason != Reason.BAD_ROW]
            # A new document's text is read with its file, in the same job; a known one may
            # be unchanged, and its text is then not read again.
            known = known_sources(
                self.session, {(r.source_system, r.source_document_id) for r in rows}
            )
            reading = [
                self._start_reading(rows[start : start + READ_CHUNK], known)
                for start in range(0, len(rows), READ_CHUNK)
            ]
            ahead.append((len(page), reading))
            if len(ahead) > PAGES_AHEAD:
                rows_in_page, oldest = ahead.popleft()
                yield rows_in_page, self._with_files(oldest)
        while ahead:
            rows_in_page, oldest = ahead.popleft()
            yield rows_in_page, self._with_files(oldest)

    def _start_reading(self, rows: list[LedgerRow], known: set[tuple[str, str]]) -> _Reading:
        found = pipeline.locate_files(
            self.ctx, [row.payload["file_path"] for row in rows], self.archive_root
        )
        paths, extract = [], []
        for row, item in zip(rows, found, strict=True):
            if isinstance(item, Path):
                paths.append(item)
                extract.append((row.source_system, row.source_document_id) not in known)
        spooling = (
            self.pool.spool([str(p) for p in paths], self.local_store, extract) if paths else None
        )
        return _Reading(rows, found, paths, extract, spooling)

    def _with_files(self, reading: list[_Reading]) -> list[_ReadFile]:
        """Wait for the children to read each chunk (and store its files, in a local store),
        then store what is left by content. No threads: threads that waited and stored cost
        more CPU than the storing (docs/decisions/0013)."""
        with_files: list[_ReadFile] = []
        for chunk in reading:
            found: Sequence[StoredFile | Quarantined | Exception]
            texts: list[ExtractionResult | None] = [None] * len(chunk.rows)
            try:
                results = chunk.spooling.result() if chunk.spooling is not None else []
                spooled = sandbox.spooled(
                    self.pool, chunk.paths, results, self.local_store, chunk.extract
                )
                found = pipeline.store_files(self.ctx, chunk.found, spooled)
                read = iter(spooled)
                for index, item in enumerate(chunk.found):
                    file = next(read) if isinstance(item, Path) else None
                    texts[index] = file.extraction if isinstance(file, Spooled) else None
            except Exception as exc:  # ours, not the file's: recorded on the rows by _ingest_group
                found = [exc] * len(chunk.rows)
            with_files.extend(map(_ReadFile._make, zip(chunk.rows, found, texts, strict=True)))
        return with_files

    # -- groups -------------------------------------------------------------------------
    def _in_groups(
        self,
        items: Sequence[_Item],
        work: Callable[[Sequence[_Item], _Effects], None],
        fail: Callable[[_Item, str], None],
    ) -> None:
        """Do the work for all items in one savepoint; where it fails, for each on its own."""
        effects = _Effects()
        deferred = len(self.ctx.deferred or ())
        try:
            with self.session.begin_nested():
                work(items, effects)
        except Exception as exc:  # recorded on the item below, never swallowed
            drop_cached_texts(self.session)  # texts of documents the rollback removed
            del (self.ctx.deferred or [])[deferred:]  # left for the matcher by the rollback
            if len(items) > 1:
                log.warning("group.redone_one_by_one", batch=self.batch, items=len(items))
                for item in items:
                    self._in_groups([item], work, fail)
                return
            self.counts.failed += 1
            log.exception("row.failed", batch=self.batch)
            fail(items[0], f"{type(exc).__name__}: {exc}"[:500])
        else:
            self._apply(effects)
        self._maybe_commit()

    def _apply(self, effects: _Effects) -> None:
        self.counts.add(effects.counts)
        for document in effects.extract:
            self._submit(document)

    # -- rows ---------------------------------------------------------------------------
    def _ingest_group(self, items: Sequence[_ReadFile], effects: _Effects) -> None:
        read: list[tuple[LedgerRow, StoredFile | Quarantined]] = []
        for item in items:
            if not isinstance(item.found, StoredFile | Quarantined):
                raise item.found  # the group is redone row by row, and this row fails with it
            read.append((item.row, item.found))
        ingested = pipeline.ingest_rows(self.ctx, self.session, read)
        documents, extracted = [], []
        for item, (document, change) in zip(items, ingested, strict=True):
            effects.counts.processed += 1
            if change:
                effects.counts.changes[change] = effects.counts.changes.get(change, 0) + 1
            if document is None:
                continue
            if item.extraction is not None and document.state == RowState.STORED:
                # read with its file: no job of its own
                extracted.append((document, item.extraction))
            else:
                documents.append(document)
        self._record_extractions(extracted, effects)
        self._advance(documents, effects)

    def _fail_row(self, item: _ReadFile, detail: str) -> None:
        self._fail(INGEST_FAILURE, item.row.id, detail)

    def _fail(self, failure: Failure, target_id: int, detail: str) -> None:
        now = self.ctx.now()
        pipeline.record_failure(self.session, failure, target_id, detail, now, batch=self.batch)

    def _advance(self, documents: Sequence[Document], effects: _Effects) -> None:
        """Take documents as far as they can go without waiting for a parser; dispatch the
        rest: extraction to the sandbox, the index once the catalog has committed them."""
        plan = pipeline.advance(self.ctx, self.session, documents)
        effects.extract.extend(plan.extract)
        if plan.index:
            waiting = [document.id for document in plan.index]
            after_commit(self.session, partial(self.to_index.extend, waiting))
        ledger.sync_many(self.session, self.batch, plan.settled, self.ctx.now())

    # -- extraction ---------------------------------------------------------------------
    def _submit(self, document: Document) -> None:
        if document.id in self.extracting:
            # A resumed attachment whose parent, extracted again meanwhile, brought it back.
            return
        stack = ExitStack()
        assert document.sha256 is not None
        path = stack.enter_context(self.ctx.store.local_copy(content_key(document.sha256)))
        extraction = _Extraction(document.id, stack, str(path), document.mime)
        # A scanned PDF or TIFF is read by range: its text layers first, then OCR of the other
        # pages, a range a job, each under its own time limit (a 300-page bundle outruns one).
        paged = reads_page_ranges(document.mime)
        self._send(extraction, TEXT_LAYERS if paged else None)
        self.extracting.add(document.id)

    def _range_size(self, pages: int) -> int:
        """Pages an OCR job: at most pages_per_task, and small enough that one scan gives every
        child two ranges (24 pages in ranges of 10 kept one of two cores idle for the last 4)."""
        share = -(-pages // (2 * self.pool.workers))  # ceiling division
        return max(1, min(self.pages_per_task, share))

    def _send(self, extraction: _Extraction, pages: PageRange | None) -> None:
        future = self.pool.submit(extraction.path, extraction.mime, pages)
        self.in_flight[future] = _InFlight(extraction, pages)
        # A queue of finished futures: wait() on hundreds of futures cost more than the rows.
        future.add_done_callback(self.finished.put)

    def _took(self, job: _InFlight, result: ExtractionResult) -> ExtractionResult | None:
        """The document's extraction once this job completes it, else None (ranges still out)."""
        extraction, pages = job.extraction, job.pages
        if pages is None:
            return result
        if not pages.ocr:  # the text layers, and which pages have none
            if not result.ok or not result.pending_ocr:
                result.page_texts = []  # the whole text is the answer
                return result
            extraction.ranges = PageRanges(extraction.mime, result.pages)
            extraction.ranges.add(result.page_texts)
            ranges = split_pages(result.pending_ocr, self._range_size(len(result.pending_ocr)))
            extraction.ranges_out = len(ranges)
            for first, last in ranges:
                self._send(extraction, PageRange(first, last))
            return None
        assert extraction.ranges is not None  # OCR ranges are sent once the layers are back
        extraction.ranges_out -= 1
        extraction.ranges.took(pages.first, pages.last, result)
        if extraction.ranges_out:
            return None
        return extraction.ranges.result(self.pool.limits, all_back=True)

    def _drain(self, *, block: bool) -> None:
        """Record every extraction that has finished, as one group."""
        if not self.in_flight:
            return
        # Waiting anyway: wait for a group worth its savepoint and statements.
        wanted = min(len(self.in_flight), DRAIN_AT_LEAST) if block else 0
        done: list[Future[ExtractionResult]] = []
        while len(done) < wanted:
            done.append(self.finished.get())
        while True:
            try:
                done.append(self.finished.get_nowait())
            except queue.Empty:
                break
        finished = []
        for future in done:
            job = self.in_flight.pop(future)
            result = self._took(job, future.result())
            if result is not None:
                job.extraction.stack.close()
                self.extracting.discard(job.extraction.document_id)
                finished.append((job.extraction.document_id, result))
        if not finished:
            return
        finished.sort(key=lambda job: job[0])  # manifest order, as near as can be
        try:
            self._in_groups(finished, self._finish_group, self._fail_document)
        finally:
            for _, result in finished:
                discard_files(result.attachments)

    def _finish_group(
        self, finished: Sequence[tuple[int, ExtractionResult]], effects: _Effects
    ) -> None:
        ids = [document_id for document_id, _ in finished]
        found = self.session.scalars(select(Document).where(Document.id.in_(ids)))
        by_id = {document.id: document for document in found}
        self._record_extractions(
            [(by_id[document_id], result) for document_id, result in finished], effects
        )

    def _record_extractions(
        self, results: Sequence[tuple[Document, ExtractionResult]], effects: _Effects
    ) -> None:
        """Record what the parsers found, and take the documents (and the attachments they
        brought) on as far as they go."""
        if not results:
            return
        extracted = pipeline.record_extractions(self.ctx, self.session, results)
        effects.counts.extracted += len(results)
        effects.counts.attachments += extracted.attachments
        ledger.sync_many(self.session, self.batch, extracted.ended, self.ctx.now())
        self._advance(extracted.onward, effects)

    def _fail_document(self, item: tuple[int, ExtractionResult], detail: str) -> None:
        self._fail(DOCUMENT_FAILURE, item[0], detail)

    def _flush_index(self) -> None:
        """Index the documents committed as pending_index (catalog first, index after): the
        entries are read here, written on the index's thread; _mark_written marks them."""
        wanted, self.to_index = self.to_index, []
        documents = list(
            self.session.scalars(
                select(Document).where(Document.id.in_(wanted)).order_by(Document.id)
            )
        )
        entries = pipeline.documents_to_index(self.session, documents)
        self.writes.append((documents, self.index_thread.submit(self.ctx.index.upsert, entries)))

    def _mark_written(self, *, wait: bool) -> None:
        """Mark indexed the documents of each index write that has returned (with `wait`, of
        every write), in the order they were asked for; a write's error is raised here. The
        mark goes in the transaction only after the write: a commit never says `indexed` of a
        document the index does not hold, and no commit waits for the index."""
        while self.writes and (wait or self.writes[0][1].done()):
            documents, write = self.writes.popleft()
            write.result()
            pipeline.mark_indexed(self.ctx, self.session, documents)
            ledger.sync_many(self.session, self.batch, documents, self.ctx.now())

    def _being_written(self) -> set[int]:
        return {document.id for documents, _ in self.writes for document in documents}

    def _maybe_commit(self) -> None:
        """Commit in groups: a per-row commit cost more than the row. A kill loses at most
        COMMIT_EVERY_S of work, which the next run redoes from the ledger. Sooner where the
        texts waiting for the index fill the loader's memory."""
        if (
            time.monotonic() - self.last_commit >= COMMIT_EVERY_S
            or cached_text_chars(self.session) >= INDEX_TEXT_CHARS
        ):
            self._commit()

    def _commit(self, *, index_all: bool = False) -> None:
        """Commit (with the marks of the index writes that have returned), and index what is
        due of the documents that commit made pending_index."""
        self._mark_written(wait=False)
        self.session.commit()
        self.last_commit = time.monotonic()
        if self.to_index and (
            index_all
            or len(self.to_index) >= INDEX_EVERY
            or cached_text_chars(self.session) >= INDEX_TEXT_CHARS
        ):
            self._flush_index()
