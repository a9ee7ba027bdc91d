"""A tantivy SearchIndex, kept only so bench_search.py can measure it against EmbeddedIndex.

It answers the same queries with the same semantics (filters, access filter inside the query,
total, facets, one highlighted snippet per hit) so the timings compare like with like. See
docs/decisions/0001-embedded-search-engine.md for why it is not the production backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from indexer.base import SearchDocument, SearchHit, SearchQuery, SearchResults
from indexer.query import parse_text

_UNLINKED = "\x00unlinked"  # a person value no real person ID can have


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("document_id", stored=True, indexed=True, fast=True)
    b.add_text_field("title", stored=True, tokenizer_name="en_stem")
    b.add_text_field("text", stored=True, tokenizer_name="en_stem")
    b.add_text_field("person", stored=True, tokenizer_name="raw")
    b.add_text_field("doc_type", stored=True, fast=True, tokenizer_name="raw")
    b.add_text_field("source_system", stored=True, tokenizer_name="raw")
    b.add_text_field("source_document_id", stored=True, tokenizer_name="raw")
    b.add_date_field("date", stored=True, indexed=True, fast=True)
    b.add_unsigned_field("year", stored=True, indexed=True, fast=True)
    return b.build()


class TantivyIndex:
    """Bench-only tantivy backend. Holds the index's single writer for its whole life."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path))
        self.writer = self.index.writer(heap_size=256_000_000)

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        n = 0
        for d in documents:
            self.writer.delete_documents("document_id", d.document_id)
            self.writer.add_document(_to_doc(d))
            n += 1
        self.writer.commit()
        self.index.reload()
        return n

    def delete(self, document_ids: Sequence[int]) -> None:
        for i in document_ids:
            self.writer.delete_documents("document_id", i)
        self.writer.commit()
        self.index.reload()

    def count(self) -> int:
        return int(self.index.searcher().num_docs)

    def search(self, query: SearchQuery) -> SearchResults:
        if query.allowed_person_ids == ():
            return SearchResults(total=0, hits=[])
        searcher = self.index.searcher()
        text_q = self._text_query(query.text)
        full = self._full_query(query, text_q)
        if text_q is None:
            result = searcher.search(
                full, query.limit, offset=query.offset, order_by_field="date", count=True
            )
        else:
            result = searcher.search(full, query.limit, offset=query.offset, count=True)
        facets = self._facets(searcher, full) if query.facets else {}
        gen = None
        if query.highlight and text_q is not None:
            gen = tantivy.SnippetGenerator.create(searcher, text_q, self.schema, "text")
        hits = []
        for score, address in result.hits:
            doc = searcher.doc(address)
            marks = (gen.snippet_from_doc(doc).to_html(),) if gen else ()
            hits.append(_to_hit(doc, float(score) if text_q is not None else 0.0, marks))
        return SearchResults(total=int(result.count or 0), hits=hits, facets=facets)

    def _text_query(self, text: str) -> tantivy.Query | None:
        phrases = parse_text(text)
        if not phrases:
            return None
        quoted = " AND ".join('"' + " ".join(words) + '"' for words in phrases)
        return self.index.parse_query(quoted, ["title", "text"], field_boosts={"title": 4.0})

    def _full_query(self, query: SearchQuery, text_q: tantivy.Query | None) -> tantivy.Query:
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if text_q is not None:
            must.append((tantivy.Occur.Must, text_q))
        terms: list[tuple[str, Sequence[str]]] = [
            ("person", query.person_ids),
            ("doc_type", query.doc_types),
            ("source_system", query.source_systems),
        ]
        if query.allowed_person_ids is not None:
            allowed = list(query.allowed_person_ids)
            terms.append(("person", [*allowed, _UNLINKED] if query.include_unlinked else allowed))
        for field, values in terms:
            if values:
                q = tantivy.Query.term_set_query(self.schema, field, list(values))
                must.append((tantivy.Occur.Must, q))
        if query.date_from or query.date_to:
            must.append((tantivy.Occur.Must, self._date_range(query)))
        if not query.include_unlinked:
            q = tantivy.Query.term_query(self.schema, "person", _UNLINKED)
            must.append((tantivy.Occur.MustNot, q))
        if not any(occur == tantivy.Occur.Must for occur, _ in must):
            must.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(must)

    def _date_range(self, query: SearchQuery) -> tantivy.Query:
        low = _datetime(query.date_from) if query.date_from else None
        high = _datetime(query.date_to) if query.date_to else None
        return tantivy.Query.range_query(
            self.schema, "date", tantivy.FieldType.Date, low, high, use_inverted_index=True
        )

    def _facets(self, searcher: tantivy.Searcher, q: tantivy.Query) -> dict[str, dict[str, int]]:
        spec = {
            "doc_type": {"terms": {"field": "doc_type", "size": 1000}},
            "year": {"terms": {"field": "year", "size": 1000}},
        }
        raw: dict[str, Any] = searcher.aggregate(q, spec)
        return {
            name: {str(b["key"]): int(b["doc_count"]) for b in raw[name]["buckets"]}
            for name in spec
        }


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _to_doc(d: SearchDocument) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_unsigned("document_id", d.document_id)
    doc.add_text("title", d.title)
    doc.add_text("text", d.text)
    for person in d.person_ids or (_UNLINKED,):
        doc.add_text("person", person)
    doc.add_text("doc_type", d.doc_type)
    doc.add_text("source_system", d.source_system)
    doc.add_text("source_document_id", d.source_document_id)
    if d.document_date is not None:
        doc.add_date("date", _datetime(d.document_date))
        doc.add_unsigned("year", d.document_date.year)
    return doc


def _to_hit(doc: tantivy.Document, score: float, marks: tuple[str, ...]) -> SearchHit:
    when = doc.get_first("date")
    return SearchHit(
        document_id=int(doc.get_first("document_id")),
        source_system=str(doc.get_first("source_system")),
        source_document_id=str(doc.get_first("source_document_id")),
        person_ids=tuple(p for p in doc.get_all("person") if p != _UNLINKED),
        doc_type=str(doc.get_first("doc_type")),
        document_date=when.date() if when else None,
        title=str(doc.get_first("title")),
        score=score,
        highlights=marks,
    )
