"""The SearchIndex contract. The catalog is the truth; an index can always be rebuilt from it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from core.errors import InvalidInput

# The deepest page any search may reach: OpenSearch's own default index.max_result_window.
# Beyond it, filters and date ranges narrow a search; paging that deep only costs memory
# (the embedded index allocates for offset + limit hits before it slices).
MAX_RESULT_WINDOW = 10_000
# The dates a search may ask for: wide of any social care record, so anything outside is a
# typing error, and inside what every backend's dates hold (tantivy's run 1677 to 2262).
EARLIEST_DATE = date(1800, 1, 1)
LATEST_DATE = date(2200, 12, 31)


@dataclass(frozen=True)
class SearchDocument:
    """What the index holds for one document: built only by indexer/documents.py."""

    document_id: int
    title: str
    text: str
    source_system: str
    source_document_id: str
    person_ids: tuple[str, ...]
    doc_type: str
    document_date: date | None
    # Who may see it, beyond the people it is on: e.g. "migration" for the exception queue,
    # "restricted:adoption" for classes that need a grant. Empty means the people decide.
    access_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchQuery:
    """A search. `allowed_person_ids` is the caller's access filter, applied inside the query:
    None means unrestricted (migration team, IG); an empty tuple means the caller sees nobody."""

    text: str = ""
    person_ids: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    source_systems: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    allowed_person_ids: tuple[str, ...] | None = None
    # Documents on no person (the exception queue) are shown only where this is true.
    include_unlinked: bool = True
    # Documents carrying any of these access tags never match: the restricted classes the
    # caller holds no grant for (records/access.py). Part of the access filter, in the query.
    excluded_access_tags: tuple[str, ...] = ()
    limit: int = 20
    offset: int = 0
    facets: bool = False
    highlight: bool = True


def check_window(limit: int, offset: int) -> None:
    """Refuse a page no backend should serve: negative, or deeper than MAX_RESULT_WINDOW."""
    if limit < 0 or offset < 0:
        raise InvalidInput("limit and offset must not be negative")
    if offset + limit > MAX_RESULT_WINDOW:
        raise InvalidInput(
            f"offset + limit must be at most {MAX_RESULT_WINDOW}; "
            "narrow the search with filters or a date range instead of paging deeper"
        )


def check_date(value: date, name: str = "a date") -> date:
    """A date within EARLIEST_DATE..LATEST_DATE, else InvalidInput naming the bounds."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise InvalidInput(
            f"{name} must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
        )
    return value


def check_query(query: SearchQuery) -> None:
    """What every backend refuses before it runs a query (one rule for all of them)."""
    check_window(query.limit, query.offset)
    for name, value in (("date_from", query.date_from), ("date_to", query.date_to)):
        if value is not None:
            check_date(value, name)


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    source_system: str
    source_document_id: str
    person_ids: tuple[str, ...]
    doc_type: str
    document_date: date | None
    title: str
    score: float
    highlights: tuple[str, ...] = ()


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    # facet name ("doc_type", "year") -> value -> count, over every match, not just this page.
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@runtime_checkable
class SearchIndex(Protocol):
    """Every backend passes tests/contract/test_search_index.py with the same answers."""

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents by document_id; returns how many were written. Visible to
        search when it returns. Raises TransientBackendError where a retry may succeed."""
        ...

    def delete(self, document_ids: Sequence[int]) -> None:
        """Remove documents; missing IDs are a no-op."""
        ...

    def search(self, query: SearchQuery) -> SearchResults:
        """Ranked hits (best first; with no text, newest document date first). Raises
        InvalidInput for a query the backend cannot run."""
        ...

    def get(self, document_id: int) -> SearchDocument | None:
        """The stored entry for one document, or None (used to verify destruction)."""
        ...

    def count(self) -> int:
        """How many documents the index holds."""
        ...

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        """Replace the whole contents with `documents` (each document_id once), consumed as an
        iterator so memory stays bounded; returns how many the new contents hold. The old
        contents answer every search until the new ones are complete, then one atomic swap
        makes the new ones live for every process. A rebuild that fails (the iterator raises,
        the backend refuses) leaves the old contents serving and removes the partial new ones.
        A write by another process while a rebuild runs may land in the old contents and be
        lost with them: the caller writes again what changed meanwhile (workers/reindex.py).
        Raises TransientBackendError where another rebuild holds the index."""
        ...
