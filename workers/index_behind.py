"""The local runner's search index writes, on a thread of their own (docs/decisions/0050).

A write of 500 documents to the embedded index took 0.23-0.5 s of the loader's main thread
(tantivy indexing them, its commit and the merges it waits for), during which nothing else was
recorded; at the end of a load it ran with the children idle, one core unused. Here the write
runs on one thread, in the order the writes were asked for, while the main thread records the
next extractions, or matches the documents left for the matcher.

The catalog must never say `indexed` before the index holds the document: the runner marks
documents indexed in its open transaction right after asking for the write, and calls
`written()` before every commit, which waits for the write and raises its error, so a commit
never carries the mark of a write that has not returned (or that failed: the load then stops
as it did when the write failed in the main thread, and the next run indexes them again)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from indexer.base import SearchDocument, SearchIndex, SearchQuery, SearchResults


class IndexWriteBehind:
    """A SearchIndex whose upserts and deletes return at once and are written in order on one
    thread; reads wait for the writes asked for before them."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="index-write")
        self._pending: list[Future[object]] = []

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        # Built here, in the caller's thread: the documents are read from its session.
        batch = list(documents)
        if batch:
            self._pending.append(self._thread.submit(self.index.upsert, batch))
        return len(batch)

    def delete(self, document_ids: Sequence[int]) -> None:
        if document_ids:
            self._pending.append(self._thread.submit(self.index.delete, list(document_ids)))

    def written(self) -> None:
        """Wait for every write asked for so far; raise the first one's error."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Let the writes asked for finish (never leave a commit half done at exit)."""
        self._thread.shutdown(wait=True)

    def search(self, query: SearchQuery) -> SearchResults:
        self.written()
        return self.index.search(query)

    def get(self, document_id: int) -> SearchDocument | None:
        self.written()
        return self.index.get(document_id)

    def count(self) -> int:
        self.written()
        return self.index.count()

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        self.written()
        return self.index.rebuild(documents)
