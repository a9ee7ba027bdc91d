"""The SearchIndex contract. The catalog is the truth; an index can always be rebuilt from it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable


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

    def clear(self) -> None:
        """Remove every document (a rebuild follows)."""
        ...
