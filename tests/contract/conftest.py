"""The `search_index` fixture: every SearchIndex backend, each passing the same contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.base import SearchIndex

BACKENDS = [
    pytest.param("embedded", id="embedded"),
    # OpenSearch: the real server from scripts/services.sh, a fresh alias for every test.
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.integration),
]


def _make(backend: str, tmp_path: Path) -> SearchIndex:
    if backend == "embedded":
        from indexer.embedded import EmbeddedIndex

        return EmbeddedIndex(tmp_path / "index")
    if backend == "opensearch":
        from tests.contract.opensearch_index import make_opensearch_index

        return make_opensearch_index()
    raise AssertionError(f"no contract fixture for backend {backend!r}")


@pytest.fixture(params=BACKENDS)
def search_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    index = _make(request.param, tmp_path)
    yield index
    if request.param == "opensearch":
        index.drop()  # type: ignore[attr-defined]
