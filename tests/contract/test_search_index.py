"""The SearchIndex contract: every backend gives these answers (see indexer/base.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import pytest

from indexer.base import SearchDocument, SearchIndex, SearchQuery, SearchResults

ANN, BEN, CAL = "P-ANN", "P-BEN", "P-CAL"


def _doc(
    document_id: int,
    title: str,
    text: str,
    people: tuple[str, ...],
    doc_type: str = "case_note",
    source: str = "mosaic",
    when: date | None = None,
    tags: tuple[str, ...] = (),
) -> SearchDocument:
    return SearchDocument(
        document_id=document_id,
        title=title,
        text=text,
        source_system=source,
        source_document_id=f"{source}-{document_id}",
        person_ids=people,
        doc_type=doc_type,
        document_date=when,
        access_tags=tags,
    )


DOCS = [
    _doc(
        1,
        "Home visit record",
        "The social worker visited the family home. <b>Mum</b> & dad were present.",
        (ANN,),
        when=date(2019, 3, 1),
    ),
    _doc(
        2,
        "Assessment",
        "Child assessment completed; school attendance concerns.",
        (BEN,),
        "assessment",
        "liquidlogic",
        date(2020, 6, 15),
    ),
    _doc(
        3,
        "Letter to school",
        "About attendance. A visit is planned.",
        (ANN, BEN),
        "letter",
        when=date(2021, 1, 10),
    ),
    _doc(
        4,
        "Unlinked scan",
        "Unknown person, visit note.",
        (),
        source="carefirst",
        tags=("migration",),
    ),
    _doc(
        5,
        "Court report",
        "Report for court about the visits.",
        (CAL,),
        "court_report",
        when=date(2018, 12, 31),
    ),
    _doc(
        6,
        "Review summary",
        "Summary of the review meeting.",
        (BEN,),
        source="liquidlogic",
        when=date(2022, 5, 5),
    ),
]


@pytest.fixture
def index(search_index: SearchIndex) -> SearchIndex:
    assert search_index.upsert(DOCS) == len(DOCS)
    return search_index


def _ids(results: SearchResults) -> list[int]:
    return [hit.document_id for hit in results.hits]


def test_upsert_is_visible_and_get_round_trips(index: SearchIndex) -> None:
    assert index.count() == len(DOCS)
    assert index.get(1) == DOCS[0]
    assert index.get(4) == DOCS[3]
    assert index.get(999) is None


def test_upsert_replaces_by_document_id(index: SearchIndex) -> None:
    changed = replace(DOCS[0], title="Telephone call", text="Called the school.", person_ids=(CAL,))
    assert index.upsert([changed]) == 1
    assert index.count() == len(DOCS)
    assert index.get(1) == changed
    assert 1 not in _ids(index.search(SearchQuery(text="family")))
    assert _ids(index.search(SearchQuery(text="telephone"))) == [1]
    assert 1 not in _ids(index.search(SearchQuery(person_ids=(ANN,))))


def test_upsert_of_nothing_writes_nothing(search_index: SearchIndex) -> None:
    assert search_index.upsert([]) == 0
    assert search_index.count() == 0


def test_delete_removes_and_ignores_missing(index: SearchIndex) -> None:
    index.delete([1, 999])
    index.delete([])
    assert index.get(1) is None
    assert index.count() == len(DOCS) - 1
    assert 1 not in _ids(index.search(SearchQuery(text="family")))


def test_text_matches_stems_in_title_and_text(index: SearchIndex) -> None:
    results = index.search(SearchQuery(text="visiting"))
    assert set(_ids(results)) == {1, 3, 4, 5}
    assert results.total == 4
    assert _ids(index.search(SearchQuery(text="summary"))) == [6]


def test_every_word_must_match(index: SearchIndex) -> None:
    assert _ids(index.search(SearchQuery(text="attendance concerns"))) == [2]


def test_quoted_phrase_matches_only_in_order(index: SearchIndex) -> None:
    assert _ids(index.search(SearchQuery(text='"family home"'))) == [1]
    assert _ids(index.search(SearchQuery(text='"home family"'))) == []


def test_ranking_puts_the_better_match_first(search_index: SearchIndex) -> None:
    filler = " ".join(["the meeting was held and notes were taken"] * 20)
    search_index.upsert(
        [
            _doc(10, "Note", f"{filler} fostering {filler}", (ANN,)),
            _doc(11, "Fostering review", "Fostering panel. Fostering plan agreed.", (ANN,)),
        ]
    )
    results = search_index.search(SearchQuery(text="fostering"))
    assert _ids(results) == [11, 10]
    assert results.hits[0].score > results.hits[1].score > 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery(person_ids=(ANN,)), {1, 3}),
        (SearchQuery(person_ids=(ANN, CAL)), {1, 3, 5}),
        (SearchQuery(doc_types=("letter", "assessment")), {2, 3}),
        (SearchQuery(source_systems=("liquidlogic",)), {2, 6}),
        (SearchQuery(date_from=date(2019, 3, 1), date_to=date(2020, 6, 15)), {1, 2}),
        (SearchQuery(date_from=date(2021, 1, 10)), {3, 6}),
        (SearchQuery(date_to=date(2018, 12, 31)), {5}),
        (SearchQuery(text="visit", person_ids=(BEN,)), {3}),
        (SearchQuery(text="visit", doc_types=("case_note",), source_systems=("mosaic",)), {1}),
    ],
)
def test_filters(index: SearchIndex, query: SearchQuery, expected: set[int]) -> None:
    results = index.search(query)
    assert set(_ids(results)) == expected
    assert results.total == len(expected)


def test_access_filter_limits_hits_totals_and_facets(index: SearchIndex) -> None:
    results = index.search(SearchQuery(text="visit", allowed_person_ids=(ANN,), facets=True))
    assert set(_ids(results)) == {1, 3, 4}  # 4 is on nobody and include_unlinked is true
    assert results.total == 3
    assert results.facets["doc_type"] == {"case_note": 2, "letter": 1}
    assert results.facets["year"] == {"2019": 1, "2021": 1}
    hidden = index.search(SearchQuery(text="court", allowed_person_ids=(ANN,), facets=True))
    assert (hidden.total, hidden.hits) == (0, [])
    assert not any(hidden.facets.get("doc_type", {}).values())


def test_unlinked_documents_only_where_asked(index: SearchIndex) -> None:
    query = SearchQuery(text="visit", include_unlinked=False)
    assert set(_ids(index.search(query))) == {1, 3, 5}
    limited = replace(query, allowed_person_ids=(ANN,), facets=True)
    results = index.search(limited)
    assert (set(_ids(results)), results.total) == ({1, 3}, 2)
    assert sum(results.facets["doc_type"].values()) == 2
    assert set(_ids(index.search(SearchQuery(include_unlinked=False)))) == {1, 2, 3, 5, 6}


def test_an_empty_access_filter_sees_nothing(index: SearchIndex) -> None:
    results = index.search(SearchQuery(allowed_person_ids=(), facets=True))
    assert (results.total, results.hits) == (0, [])
    assert not any(counts for counts in results.facets.values())


def test_no_access_filter_sees_everything(index: SearchIndex) -> None:
    assert index.search(SearchQuery(allowed_person_ids=None)).total == len(DOCS)


def test_facets_count_every_match_not_just_the_page(index: SearchIndex) -> None:
    results = index.search(SearchQuery(limit=1, facets=True))
    assert len(results.hits) == 1
    assert results.facets["doc_type"] == {
        "case_note": 3,
        "assessment": 1,
        "letter": 1,
        "court_report": 1,
    }
    assert results.facets["year"] == {"2018": 1, "2019": 1, "2020": 1, "2021": 1, "2022": 1}
    assert index.search(SearchQuery()).facets == {}


def test_no_text_returns_newest_first_and_undated_last(index: SearchIndex) -> None:
    assert _ids(index.search(SearchQuery(person_ids=(BEN,)))) == [6, 3, 2]
    assert _ids(index.search(SearchQuery())) == [6, 3, 2, 1, 5, 4]
    assert all(hit.score == 0.0 for hit in index.search(SearchQuery()).hits)


def test_paging_covers_every_match_once(index: SearchIndex) -> None:
    pages = [index.search(SearchQuery(limit=2, offset=at)) for at in (0, 2, 4, 6)]
    assert [p.total for p in pages] == [len(DOCS)] * 4
    assert [_ids(p) for p in pages] == [[6, 3], [2, 1], [5, 4], []]


def test_hits_carry_result_fields(index: SearchIndex) -> None:
    (hit,) = index.search(SearchQuery(text="summary")).hits
    assert (hit.title, hit.doc_type, hit.source_system) == (
        "Review summary",
        "case_note",
        "liquidlogic",
    )
    assert (hit.source_document_id, hit.person_ids) == ("liquidlogic-6", (BEN,))
    assert hit.document_date == date(2022, 5, 5)


def test_highlights_mark_terms_and_escape_html(index: SearchIndex) -> None:
    (hit,) = index.search(SearchQuery(text="family")).hits
    assert hit.highlights
    snippet = hit.highlights[0]
    assert "<mark>family</mark>" in snippet
    assert "&lt;b&gt;Mum&lt;/b&gt; &amp; dad" in snippet
    assert "<b>" not in snippet
    stemmed = index.search(SearchQuery(text="visit", person_ids=(ANN,), doc_types=("case_note",)))
    assert "<mark>visited</mark>" in stemmed.hits[0].highlights[0]
    plain = index.search(SearchQuery(text="family", highlight=False))
    assert plain.hits[0].highlights == ()


def test_at_most_three_snippets(search_index: SearchIndex) -> None:
    filler = " ".join(["nothing of note happened on this day at all"] * 10)
    text = " ".join(f"{filler} contact {filler}" for _ in range(6))
    search_index.upsert([_doc(20, "Diary", text, (ANN,))])
    (hit,) = search_index.search(SearchQuery(text="contact")).hits
    assert 2 <= len(hit.highlights) <= 3
    assert all(h.count("<mark>contact</mark>") >= 1 for h in hit.highlights)


@pytest.mark.parametrize(
    "junk", ['"AND OR (* NEAR', "title:secret", "*", "()", "\\", "-", "NOT", "a\x00b", "' OR 1=1"]
)
def test_query_syntax_junk_does_not_raise(index: SearchIndex, junk: str) -> None:
    results = index.search(SearchQuery(text=junk, facets=True))
    assert results.total >= 0


def test_searches_run_while_two_writers_load(search_index: SearchIndex) -> None:
    def write(first: int) -> None:
        for at in range(first, first + 200, 50):
            batch = [_doc(i, f"Batch {i}", "routine contact", (ANN,)) for i in range(at, at + 50)]
            search_index.upsert(batch)

    def read() -> None:
        for _ in range(20):
            results = search_index.search(SearchQuery(text="routine", person_ids=(ANN,)))
            assert results.total % 50 == 0  # whole batches only: an upsert is one commit

    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = [pool.submit(write, 1000), pool.submit(write, 2000), pool.submit(read)]
        for job in jobs:
            job.result()
    assert search_index.search(SearchQuery(text="routine")).total == 400


def test_excluded_access_tags_hidden_from_hits_totals_and_facets(index: SearchIndex) -> None:
    index.upsert(
        [
            _doc(
                1,
                "Adoption report",
                "quokka sighting",
                ("P1",),
                "adoption",
                tags=("restricted:adoption",),
            ),
            _doc(102, "Visit report", "quokka sighting", ("P1",), "case_note"),
        ]
    )
    hidden = index.search(
        SearchQuery(text="quokka", excluded_access_tags=("restricted:adoption",), facets=True)
    )
    assert [h.document_id for h in hidden.hits] == [102]
    assert hidden.total == 1
    assert hidden.facets["doc_type"] == {"case_note": 1}
    granted = index.search(SearchQuery(text="quokka", facets=True))
    assert granted.total == 2


# --- rebuild: the old contents answer until the new ones are complete, then one swap ---

REBUILT = 3000


def _many(count: int, word: str, start: int = 1) -> list[SearchDocument]:
    return [
        _doc(i, f"{word} note {i}", f"A {word} visit by the duty team.", (ANN,))
        for i in range(start, start + count)
    ]


class _SearchLoop:
    """Searches in a thread of its own until stopped, keeping every total it saw."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.totals: list[int] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.totals.append(self.index.search(SearchQuery(text="visit", limit=5)).total)
            except BaseException as exc:  # seen by the test, not lost in the thread
                self.errors.append(exc)
                return

    def wait_for_more(self, timeout: float = 10.0) -> None:
        """Block until the loop has answered one more search: the rebuild is interleaved."""
        seen, deadline = len(self.totals), time.monotonic() + timeout
        while len(self.totals) <= seen and not self.errors and time.monotonic() < deadline:
            time.sleep(0.001)

    def __enter__(self) -> _SearchLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _paced(docs: list[SearchDocument], loop: _SearchLoop) -> Iterator[SearchDocument]:
    """The documents, pausing every 250 until the search loop has searched again."""
    for number, doc in enumerate(docs, 1):
        yield doc
        if number % 250 == 0:
            loop.wait_for_more()


def test_rebuild_serves_the_old_contents_until_the_swap(search_index: SearchIndex) -> None:
    old = _many(1000, "routine")
    search_index.upsert(old)
    new = _many(REBUILT, "urgent", start=501)  # overlaps the old IDs and goes beyond them
    with _SearchLoop(search_index) as loop:
        loop.wait_for_more()
        assert search_index.rebuild(_paced(new, loop)) == REBUILT
        loop.wait_for_more()
    assert not loop.errors
    during = loop.totals
    assert len(during) > REBUILT // 250  # the loop searched throughout the rebuild
    # Every search saw the old contents whole or the new ones whole: never empty, never half.
    assert set(during) <= {len(old), REBUILT}, sorted(set(during))
    assert during[0] == len(old) and during[-1] == REBUILT
    assert search_index.count() == REBUILT
    assert search_index.search(SearchQuery(text="routine")).total == 0
    assert search_index.search(SearchQuery(text="urgent")).total == REBUILT
    assert search_index.get(1) is None and search_index.get(REBUILT + 500) == new[-1]


class _Broken(Exception):
    pass


def _failing(docs: list[SearchDocument], after: int) -> Iterator[SearchDocument]:
    for number, doc in enumerate(docs):
        if number == after:
            raise _Broken("the catalog went away")
        yield doc


def test_a_failed_rebuild_leaves_the_old_contents_serving(index: SearchIndex) -> None:
    with pytest.raises(_Broken):
        index.rebuild(_failing(_many(REBUILT, "urgent", start=100), after=1200))
    assert index.count() == len(DOCS)
    assert set(_ids(index.search(SearchQuery(text="visiting")))) == {1, 3, 4, 5}
    assert index.search(SearchQuery(text="urgent")).total == 0
    # Nothing of the partial build is left to be picked up, and the next rebuild succeeds.
    assert index.rebuild(_many(10, "urgent")) == 10
    assert index.count() == 10
    assert index.search(SearchQuery(text="urgent")).total == 10


def test_rebuild_to_nothing_empties_the_index(index: SearchIndex) -> None:
    assert index.rebuild(iter(())) == 0
    assert index.count() == 0
    assert index.search(SearchQuery()).total == 0
