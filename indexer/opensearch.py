"""OpenSearchIndex: the search index on an OpenSearch cluster, for many API processes.

Documents live in a versioned index (`<alias>-v1`, `-v2`, ...) that searches reach through an
alias, so `rebuild()` builds the next version beside the live one and swaps the alias in one
atomic call: search never goes dark during a rebuild.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import (
    ConnectionError as OpenSearchConnectionError,
)
from opensearchpy.exceptions import (
    NotFoundError,
    RequestError,
    TransportError,
)

from core.errors import InvalidInput, TransientBackendError
from indexer.base import (
    SearchDocument,
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResults,
    check_query,
)
from indexer.query import parse_text

if TYPE_CHECKING:
    from core.settings import Settings

T = TypeVar("T")

_VERSION = re.compile(r"-v(\d+)$")
_FACET_SIZE = 1_000
_TITLE_BOOST = 4  # as the embedded index: a title match counts four times a body match
# OpenSearch's html encoder also escapes quotes and "/", which the embedded index leaves as they
# are; undoing just those makes both backends' snippets identical. A literal "&quot;" in the text
# arrives as "&amp;quot;", which these replacements cannot touch.
_OVER_ESCAPED = (("&quot;", '"'), ("&#x27;", "'"), ("&#x2F;", "/"))
_KEYWORDS = ("source_system", "source_document_id", "person_ids", "doc_type", "access_tags")


def _transient(exc: Exception) -> bool:
    if isinstance(exc, OpenSearchConnectionError):  # includes ConnectionTimeout
        return True
    status = exc.status_code if isinstance(exc, TransportError) else None
    return status == 429 or (isinstance(status, int) and status >= 500) or status == "N/A"


def _call(fn: Callable[[], T], what: str) -> T:
    """Run one client call, turning connection trouble and overload into our errors."""
    try:
        return fn()
    except RequestError as exc:
        raise InvalidInput(f"{what}: {exc.error}") from exc
    except TransportError as exc:
        if _transient(exc):
            raise TransientBackendError(f"{what}: {exc}") from exc
        raise


_STEMMED: dict[str, Any] = {
    "filter": {
        "escr_stop": {"type": "stop", "stopwords": "_english_"},
        "escr_stem": {"type": "hunspell", "locale": "en_GB", "dedup": True},
    },
    "analyzer": {
        "escr_text": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "escr_stop", "escr_stem"],
        }
    },
}


def text_analysis(client: OpenSearch) -> dict[str, Any]:
    """Index analysis settings for English text: the built-in `english` analyzer where the
    cluster has it; else (the integ-test distribution, which lacks the analysis-common module)
    an equivalent from core parts, stemming with the hunspell en_GB dictionary."""
    nodes = client.nodes.info(metric="plugins")["nodes"].values()
    modules = {m["name"] for node in nodes for m in node.get("modules", [])}
    if "analysis-common" in modules:
        return {"analyzer": {"escr_text": {"type": "english"}}}
    probe = {"tokenizer": "standard", "filter": [_STEMMED["filter"]["escr_stem"]], "text": "visits"}
    try:
        client.indices.analyze(body=probe)
    except RequestError:
        # No dictionary on the node: unstemmed, which still finds every exact word.
        return {"analyzer": {"escr_text": {"type": "standard", "stopwords": "_english_"}}}
    return _STEMMED


def index_body(analysis: dict[str, Any]) -> dict[str, Any]:
    """Settings and explicit mapping of one versioned index (unknown fields are refused)."""
    text = {"type": "text", "analyzer": "escr_text"}
    return {
        "settings": {
            "number_of_shards": 1,
            "auto_expand_replicas": "0-1",
            # Never on a timer: each upsert refreshes once when its whole batch is written, so
            # a search sees a batch whole or not at all (within one process; see upsert).
            "refresh_interval": "-1",
            "analysis": analysis,
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "document_id": {"type": "long"},
                "title": text,
                "text": text,
                **{name: {"type": "keyword"} for name in _KEYWORDS},
                "document_date": {"type": "date", "format": "strict_date"},
                "year": {"type": "keyword"},
            },
        },
    }


def access_filter(query: SearchQuery) -> dict[str, Any] | None:
    """The caller's access rule as a filter clause; None for an unrestricted caller."""
    if query.allowed_person_ids is None:
        return None
    if not query.allowed_person_ids:
        return {"match_none": {}}
    allowed: list[dict[str, Any]] = [{"terms": {"person_ids": list(query.allowed_person_ids)}}]
    if query.include_unlinked:
        allowed.append({"bool": {"must_not": {"exists": {"field": "person_ids"}}}})
    return {"bool": {"should": allowed, "minimum_should_match": 1}}


def build_search(query: SearchQuery) -> dict[str, Any]:
    """The one place a SearchQuery becomes a request body; it always carries the access filter."""
    must: list[dict[str, Any]] = [
        {
            "multi_match": {
                "query": phrase,
                "type": "phrase",
                "fields": [f"title^{_TITLE_BOOST}", "text"],
            }
        }
        for phrase in parse_text(query.text)
    ]
    filters: list[dict[str, Any]] = []
    if query.person_ids:
        filters.append({"terms": {"person_ids": list(query.person_ids)}})
    if query.doc_types:
        filters.append({"terms": {"doc_type": list(query.doc_types)}})
    if query.source_systems:
        filters.append({"terms": {"source_system": list(query.source_systems)}})
    if query.date_from is not None or query.date_to is not None:
        bounds = {"gte": query.date_from, "lte": query.date_to}
        filters.append(
            {"range": {"document_date": {k: v.isoformat() for k, v in bounds.items() if v}}}
        )
    if not query.include_unlinked:
        filters.append({"exists": {"field": "person_ids"}})
    access = access_filter(query)
    if access is not None:
        filters.append(access)
    ranked = bool(must)
    # Restricted classes the caller holds no grant for: excluded inside the query, like the
    # person filter, so totals and facets never count them.
    must_not: list[dict[str, Any]] = []
    if query.excluded_access_tags:
        must_not.append({"terms": {"access_tags": list(query.excluded_access_tags)}})
    body: dict[str, Any] = {
        "query": {
            "bool": {"must": must or [{"match_all": {}}], "filter": filters, "must_not": must_not}
        },
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "_source": {"excludes": ["text"]},
        "sort": (
            ["_score", {"document_id": "asc"}]
            if ranked
            else [
                {"document_date": {"order": "desc", "missing": "_last"}},
                {"document_id": "desc"},
            ]
        ),
    }
    if query.facets:
        body["aggs"] = {
            "doc_type": {"terms": {"field": "doc_type", "size": _FACET_SIZE}},
            "year": {"terms": {"field": "year", "size": _FACET_SIZE}},
        }
    if query.highlight and ranked:
        body["highlight"] = {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                "text": {"number_of_fragments": 3, "fragment_size": 160},
                "title": {"number_of_fragments": 0},
            },
        }
    return body


def _source(doc: SearchDocument) -> dict[str, Any]:
    day = doc.document_date
    return {
        "document_id": doc.document_id,
        "title": doc.title,
        "text": doc.text,
        "source_system": doc.source_system,
        "source_document_id": doc.source_document_id,
        "person_ids": list(doc.person_ids),
        "doc_type": doc.doc_type,
        "document_date": day.isoformat() if day else None,
        "year": str(day.year) if day else None,
        "access_tags": list(doc.access_tags),
    }


def _render(fragment: str) -> str:
    for escaped, plain in _OVER_ESCAPED:
        fragment = fragment.replace(escaped, plain)
    return fragment.replace("\n", " ")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class OpenSearchIndex:
    """SearchIndex over an OpenSearch alias. Thread-safe as the client is."""

    def __init__(self, client: OpenSearch, alias: str) -> None:
        self.client = client
        self.alias = alias
        self._bulk = False
        # Writes and their refresh run one at a time per instance, so one thread's refresh
        # never shows another thread's half-written batch.
        self._lock = threading.Lock()
        self._analysis: dict[str, Any] | None = None
        self._ensured = False

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenSearchIndex:
        """An index on the configured hosts, creating its first version when missing."""
        client = OpenSearch(hosts=settings.index.hosts, timeout=30, max_retries=2, pool_maxsize=16)
        index = cls(client, settings.index.alias)
        # OpenSearch down: a worker still starts, and its documents wait as `pending_index`
        # until the index is back (the first write creates it then).
        with contextlib.suppress(TransientBackendError):
            index.ensure()
        return index

    # --- the versioned indices behind the alias ---

    def _live(self) -> str | None:
        try:
            found = _call(lambda: self.client.indices.get_alias(name=self.alias), "get alias")
        except NotFoundError:
            return None
        return str(next(iter(found)))

    def _create(self, name: str) -> None:
        if self._analysis is None:
            self._analysis = _call(lambda: text_analysis(self.client), "probe analyzers")
        body = index_body(self._analysis)
        _call(lambda: self.client.indices.create(index=name, body=body), f"create {name}")

    def ensure(self) -> None:
        """Create `<alias>-v1` behind the alias if the alias does not exist yet."""
        if self._ensured or self._live() is not None:
            self._ensured = True
            return
        name = f"{self.alias}-v1"
        if not _call(lambda: self.client.indices.exists(index=name), "exists"):
            try:
                self._create(name)
            except InvalidInput as exc:
                # Another worker created it between our check and our create: that is fine.
                if "resource_already_exists" not in str(exc):
                    raise
        actions = {"actions": [{"add": {"index": name, "alias": self.alias}}]}
        _call(lambda: self.client.indices.update_aliases(body=actions), "add alias")
        self._ensured = True

    def rebuild(self, documents: Iterable[SearchDocument]) -> int:
        """Build the next version from `documents`, swap the alias to it atomically and drop
        the old one; returns how many documents the new version holds. If the build fails,
        the new version is deleted and the alias never left the old one."""
        live = self._live()
        match = _VERSION.search(live or "")
        name = f"{self.alias}-v{int(match.group(1)) + 1 if match else 1}"
        if _call(lambda: self.client.indices.exists(index=name), "exists"):
            # A rebuild that died halfway left it behind; it was never live.
            _call(lambda: self.client.indices.delete(index=name), f"delete {name}")
        self._create(name)  # refreshes on no timer, so loading it costs no refreshes
        try:
            written = self._write(
                name, ({"_id": d.document_id, "_source": _source(d)} for d in documents)
            )
            _call(lambda: self.client.indices.refresh(index=name), "refresh")
        except BaseException:
            with contextlib.suppress(TransportError, OpenSearchConnectionError):
                self.client.indices.delete(index=name)
            raise
        swap: list[dict[str, Any]] = [{"add": {"index": name, "alias": self.alias}}]
        if live is not None:
            swap.insert(0, {"remove": {"index": live, "alias": self.alias}})
        _call(lambda: self.client.indices.update_aliases(body={"actions": swap}), "swap alias")
        if live is not None:
            _call(lambda: self.client.indices.delete(index=live), f"delete {live}")
        return written

    def drop(self) -> None:
        """Delete every version of this index and its alias (tests and decommissioning)."""
        pattern = f"{self.alias}-v*"
        _call(lambda: self.client.indices.delete(index=pattern, ignore_unavailable=True), "drop")
        self._ensured = False

    def _set_refresh(self, index: str, interval: str | None) -> None:
        body = {"index": {"refresh_interval": interval}}
        _call(lambda: self.client.indices.put_settings(index=index, body=body), "refresh interval")

    @contextmanager
    def bulk_mode(self) -> Iterator[None]:
        """Within the block, upserts skip the refresh and the index refreshes on no timer;
        on leaving, the setting is restored and one refresh makes everything visible."""
        self.ensure()
        live = self._live() or self.alias
        settings = _call(
            lambda: self.client.indices.get_settings(index=live, name="index.refresh_interval"),
            "get settings",
        )
        previous = (
            settings.get(live, {}).get("settings", {}).get("index", {}).get("refresh_interval")
        )
        self._set_refresh(live, "-1")
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            self._set_refresh(live, previous)
            _call(lambda: self.client.indices.refresh(index=self.alias), "refresh")

    # --- the SearchIndex contract ---

    def _write(self, index: str, actions: Iterable[dict[str, Any]]) -> int:
        def run() -> int:
            written = 0
            for ok, item in helpers.streaming_bulk(
                self.client,
                ({"_index": index, **a} for a in actions),
                chunk_size=500,
                max_retries=5,
                initial_backoff=1,
                max_backoff=30,
                raise_on_error=False,
                ignore_status=(404,),
            ):
                result = next(iter(item.values()))
                if ok or result.get("status") == 404:
                    written += 1
                elif result.get("status") == 429 or int(result.get("status", 500)) >= 500:
                    raise TransientBackendError(f"bulk write failed: {result.get('error')}")
                else:
                    raise InvalidInput(f"bulk write refused: {result.get('error')}")
            return written

        return _call(run, "bulk")

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents by document_id; visible to search on return."""
        docs = list({d.document_id: d for d in documents}.values())
        if not docs:
            return 0
        with self._lock:
            self.ensure()
            self._write(self.alias, ({"_id": d.document_id, "_source": _source(d)} for d in docs))
            if not self._bulk:
                _call(lambda: self.client.indices.refresh(index=self.alias), "refresh")
        return len(docs)

    def delete(self, document_ids: Sequence[int]) -> None:
        """Remove documents; missing IDs are a no-op."""
        if not document_ids:
            return
        with self._lock:
            self._write(self.alias, ({"_op_type": "delete", "_id": i} for i in document_ids))
            if not self._bulk:
                _call(lambda: self.client.indices.refresh(index=self.alias), "refresh")

    def get(self, document_id: int) -> SearchDocument | None:
        """The stored entry for one document, or None."""
        try:
            found = _call(lambda: self.client.get(index=self.alias, id=str(document_id)), "get")
        except NotFoundError:
            return None
        s = found["_source"]
        return SearchDocument(
            document_id=int(s["document_id"]),
            title=s["title"],
            text=s["text"],
            source_system=s["source_system"],
            source_document_id=s["source_document_id"],
            person_ids=tuple(s["person_ids"]),
            doc_type=s["doc_type"],
            document_date=_date(s["document_date"]),
            access_tags=tuple(s["access_tags"]),
        )

    def count(self) -> int:
        """How many documents the index holds."""
        return int(_call(lambda: self.client.count(index=self.alias), "count")["count"])

    def search(self, query: SearchQuery) -> SearchResults:
        """Ranked hits with totals and facets computed under the same access filter."""
        check_query(query)
        body = build_search(query)
        found = _call(lambda: self.client.search(index=self.alias, body=body), "search")
        hits = [self._hit(h) for h in found["hits"]["hits"]]
        facets: dict[str, dict[str, int]] = {}
        for name, agg in found.get("aggregations", {}).items():
            facets[name] = {str(b["key"]): int(b["doc_count"]) for b in agg["buckets"]}
        return SearchResults(total=int(found["hits"]["total"]["value"]), hits=hits, facets=facets)

    @staticmethod
    def _hit(hit: dict[str, Any]) -> SearchHit:
        s = hit["_source"]
        marks = hit.get("highlight", {})
        return SearchHit(
            document_id=int(s["document_id"]),
            source_system=s["source_system"],
            source_document_id=s["source_document_id"],
            person_ids=tuple(s["person_ids"]),
            doc_type=s["doc_type"],
            document_date=_date(s["document_date"]),
            title=s["title"],
            score=float(hit["_score"] or 0.0),
            highlights=tuple(_render(m) for m in marks.get("text") or marks.get("title") or ()),
        )


def _conforms(index: OpenSearchIndex) -> SearchIndex:
    return index  # mypy checks here that OpenSearchIndex satisfies the protocol
