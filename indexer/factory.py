"""Pick the search index named by the settings; backends are imported only when chosen."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from indexer.base import SearchIndex


def embedded_index_path(settings: Settings) -> Path:
    """The embedded index's directory: ESCR_INDEX__PATH, else ESCR_HOME/index."""
    # Not settings.index_path: its default names a SQLite file, and the embedded index is a
    # tantivy directory (docs/decisions/0001-embedded-search-engine.md).
    return Path(settings.index.path) if settings.index.path else settings.home / "index"


def make_index(settings: Settings) -> SearchIndex:
    """The configured SearchIndex backend."""
    match settings.index.backend:
        case "embedded":
            from indexer.embedded import EmbeddedIndex

            return EmbeddedIndex(embedded_index_path(settings))
        case "opensearch":
            from indexer.opensearch import OpenSearchIndex

            index: SearchIndex = OpenSearchIndex.from_settings(settings)
            return index
