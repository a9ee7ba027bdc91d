"""The OpenSearch backend for the contract tests: the running server, a unique alias per test."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from indexer.opensearch import OpenSearchIndex

HOW = 'start it with `scripts/services.sh up` and load `eval "$(scripts/services.sh env)"`'


def make_opensearch_index() -> OpenSearchIndex:
    """A fresh index on the server in ESCR_INDEX__HOSTS; a missing server fails the test."""
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    hosts = os.environ.get("ESCR_INDEX__HOSTS")
    if not hosts:
        pytest.fail(
            f"ESCR_INDEX__HOSTS is not set: the opensearch contract needs OpenSearch; {HOW}"
        )
    index = OpenSearchIndex(
        OpenSearch(hosts=json.loads(hosts), pool_maxsize=8), f"escr-test-{uuid.uuid4().hex}"
    )
    try:
        index.ensure()
    except OpenSearchConnectionError as exc:
        pytest.fail(f"OpenSearch at {hosts} is not reachable ({exc}); {HOW}")
    return index
