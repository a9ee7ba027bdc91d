"""Every SearchIndex backend refuses, by itself, a page deeper than the result window and a
date outside 1800-2200 (issue 11, item 1): whatever the caller (API, web, CLI, a script), the
embedded index never allocates for a billion hits, and OpenSearch never answers a 500."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import InvalidInput
from indexer.base import EARLIEST_DATE, LATEST_DATE, MAX_RESULT_WINDOW, SearchIndex, SearchQuery

REFUSED = {
    "window": SearchQuery(offset=MAX_RESULT_WINDOW),
    "window-straddled": SearchQuery(offset=MAX_RESULT_WINDOW - 10, limit=20),
    "billion": SearchQuery(offset=1_000_000_000),
    "limit": SearchQuery(limit=MAX_RESULT_WINDOW + 1),
    "negative": SearchQuery(offset=-1),
    "year-1": SearchQuery(date_from=date(1, 1, 1)),
    "year-9999": SearchQuery(date_to=date(9999, 12, 31)),
    "1799": SearchQuery(date_from=date(1799, 12, 31)),
}


@pytest.mark.parametrize("query", REFUSED.values(), ids=REFUSED.keys())
def test_out_of_bounds_queries_are_invalid_input(
    search_index: SearchIndex, query: SearchQuery
) -> None:
    with pytest.raises(InvalidInput):
        search_index.search(query)


def test_the_last_page_and_the_date_bounds_are_served(search_index: SearchIndex) -> None:
    last = SearchQuery(offset=MAX_RESULT_WINDOW - 20, limit=20)
    assert search_index.search(last).hits == []
    dated = SearchQuery(date_from=EARLIEST_DATE, date_to=LATEST_DATE)
    assert search_index.search(dated).total == 0
