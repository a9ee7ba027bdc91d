"""The embedded index's generations: how a rebuild reaches other processes and cleans up."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import tantivy

from core.errors import TransientBackendError
from indexer import embedded
from indexer.base import SearchDocument, SearchQuery
from indexer.embedded import EmbeddedIndex


def _docs(count: int, word: str, start: int = 1) -> list[SearchDocument]:
    return [
        SearchDocument(
            document_id=i,
            title=f"{word} {i}",
            text=f"{word} visit",
            source_system="mosaic",
            source_document_id=f"m-{i}",
            person_ids=("P-1",),
            doc_type="case_note",
            document_date=None,
        )
        for i in range(start, start + count)
    ]


def _folders(path: Path) -> set[str]:
    return {p.name for p in path.iterdir() if p.is_dir()}


def test_a_rebuild_in_one_process_is_seen_by_another(tmp_path: Path) -> None:
    loader = EmbeddedIndex(tmp_path / "index")
    api = EmbeddedIndex(tmp_path / "index")  # another process's handle: its own open reader
    loader.upsert(_docs(50, "routine"))
    assert api.search(SearchQuery(text="routine")).total == 50
    assert loader.rebuild(_docs(70, "urgent")) == 70
    assert api.search(SearchQuery(text="urgent")).total == 70
    assert api.search(SearchQuery(text="routine")).total == 0
    assert api.count() == 70
    # The other handle writes to the new generation too, never into the deleted one.
    api.upsert(_docs(1, "late", start=500))
    assert loader.get(500) is not None
    assert _folders(tmp_path / "index") == {"gen-2"}


def test_a_searcher_opened_before_the_swap_keeps_answering(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    index.upsert(_docs(20, "routine"))
    other = EmbeddedIndex(tmp_path / "index")
    _, held = other._searcher()  # an API request in flight when the old folder is deleted
    index.rebuild(_docs(5, "urgent"))
    assert "gen-1" not in _folders(tmp_path / "index")
    found = held.search(tantivy.Query.all_query(), 50)
    assert len(found.hits) == 20
    assert held.doc(found.hits[0][1]).get_first("title").startswith("routine")


def test_a_failed_rebuild_removes_its_folder(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    index.upsert(_docs(5, "routine"))

    def broken() -> Iterator[SearchDocument]:
        yield from _docs(100, "urgent")
        raise RuntimeError("the catalog went away")

    with pytest.raises(RuntimeError):
        index.rebuild(broken())
    assert _folders(tmp_path / "index") == {"gen-1"}
    assert (tmp_path / "index" / "current").read_text() == "gen-1"


def test_a_killed_rebuild_leaves_a_folder_the_next_one_sweeps(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    index.upsert(_docs(5, "routine"))
    (tmp_path / "index" / "gen-7").mkdir()  # a rebuild killed before its swap
    index.rebuild(_docs(3, "urgent"))
    assert _folders(tmp_path / "index") == {"gen-8"}
    assert index.count() == 3


def test_an_index_made_before_generations_is_read_then_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "index"
    root.mkdir()
    legacy = tantivy.Index(embedded._schema(), path=str(root))  # files in the root itself
    legacy.register_tokenizer(embedded.ANALYZER, embedded.text_analyzer())
    writer = legacy.writer(heap_size=15_000_000, num_threads=1)
    for doc in _docs(4, "routine"):
        writer.add_document(embedded._to_tantivy(doc))
    writer.commit()
    writer.wait_merging_threads()
    index = EmbeddedIndex(root)
    assert index.search(SearchQuery(text="routine")).total == 4
    index.rebuild(_docs(2, "urgent"))
    assert index.search(SearchQuery(text="urgent")).total == 2
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == ["current", "rebuild.lock"]
    assert EmbeddedIndex(root).count() == 2


def test_two_rebuilds_at_once_refuse_the_second(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    started, release = threading.Event(), threading.Event()

    def slow() -> Iterator[SearchDocument]:
        started.set()
        release.wait(10)
        yield from _docs(3, "urgent")

    # A lock on an open file description: a second process (here a second open) is refused.
    first = threading.Thread(target=index.rebuild, args=(slow(),))
    first.start()
    try:
        assert started.wait(10)
        with pytest.raises(TransientBackendError, match="another rebuild"):
            EmbeddedIndex(tmp_path / "index").rebuild(_docs(1, "other"))
    finally:
        release.set()
        first.join()
    assert index.count() == 3


def test_generation_folders_are_private(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    index.rebuild(_docs(1, "urgent"))
    assert os.stat(tmp_path / "index" / "gen-2").st_mode & 0o777 == 0o700
    assert os.stat(tmp_path / "index" / "current").st_mode & 0o777 == 0o600


def test_a_search_whose_generation_is_swapped_away_mid_query_runs_again_on_the_new_one(
    tmp_path: Path,
) -> None:
    """tantivy opens some segment files only when a query needs them, so a rebuild deleting
    the generation under a running search can fail it (seen in CI as "Failed to open field
    'title's positions"); the read runs once more on the generation that replaced it."""
    index = EmbeddedIndex(tmp_path / "index")
    index.upsert(_docs(20, "routine"))
    other = EmbeddedIndex(tmp_path / "index")
    seen: list[int] = []

    def swapped_under_the_first_try(searcher: tantivy.Searcher) -> int:
        seen.append(int(searcher.num_docs))
        if len(seen) == 1:
            index.rebuild(_docs(5, "urgent"))
            raise ValueError("Data corrupted: failed to open field positions")
        return int(searcher.num_docs)

    assert other._reading(swapped_under_the_first_try) == 5
    assert seen == [20, 5]


def test_an_error_on_the_live_generation_is_the_querys_own(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    index.upsert(_docs(3, "routine"))
    tries: list[int] = []

    def bad_query(searcher: tantivy.Searcher) -> int:
        tries.append(1)
        raise ValueError("a query the index cannot run")

    with pytest.raises(ValueError, match="cannot run"):
        index._reading(bad_query)
    assert len(tries) == 1
