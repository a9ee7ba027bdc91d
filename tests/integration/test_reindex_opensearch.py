"""The real `escr reindex` against OpenSearch while searches run: no search ever comes back
empty or half-filled (issue 12, "What must be shown")."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid

import pytest
from opensearchpy import OpenSearch

from core.settings import Settings
from indexer.base import SearchQuery
from indexer.opensearch import OpenSearchIndex
from tests.factories.served import ROOT, clean_env
from tests.integration.conftest import Services
from tests.unit.workers.test_reindex_under_search import LOADED, _load_catalog, _stale

pytestmark = pytest.mark.integration


def test_escr_reindex_on_opensearch_under_a_search_loop(
    settings: Settings, services: Services
) -> None:
    _load_catalog(settings)
    alias = f"escr-test-{uuid.uuid4().hex}"
    api = OpenSearchIndex(OpenSearch(hosts=services.opensearch_hosts), alias)
    api.ensure()
    try:
        api.upsert(_stale(i) for i in range(1, LOADED))
        env = clean_env(
            settings.home,
            ESCR_INDEX__BACKEND="opensearch",
            ESCR_INDEX__HOSTS=json.dumps(services.opensearch_hosts),
            ESCR_INDEX__ALIAS=alias,
        )
        totals: list[int] = []
        command = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "reindex"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        searcher = threading.Thread(target=_search_until_done, args=(api, command, totals))
        searcher.start()
        out, err = command.communicate(timeout=300)
        searcher.join()
        assert command.returncode == 0, err
        assert json.loads(out) == {"indexed": LOADED}
        assert len(totals) > 10
        assert set(totals) <= {LOADED - 1, LOADED}, sorted(set(totals))
        assert api.search(SearchQuery(text="urgent")).total == LOADED
        assert api.search(SearchQuery(text="routine")).total == 0
    finally:
        api.drop()


def _search_until_done(
    index: OpenSearchIndex, command: subprocess.Popen[str], totals: list[int]
) -> None:
    while command.poll() is None:
        totals.append(index.search(SearchQuery(text="visit", limit=5)).total)
