"""Pick the search index named by the settings; backends are imported only when chosen."""

from __future__ import annotations

from core.settings import Settings
from indexer.base import SearchIndex


def make_index(settings: Settings) -> SearchIndex:
    """The configured SearchIndex backend."""
    match settings.index.backend:
        case "embedded":
            from indexer.embedded import EmbeddedIndex

            return EmbeddedIndex(settings.index_path)
        case "opensearch":
            from indexer.opensearch import OpenSearchIndex

            index: SearchIndex = OpenSearchIndex.from_settings(settings)
            return index
