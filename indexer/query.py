"""Build tantivy queries from a SearchQuery, safe from query-syntax injection.

User text never reaches a query parser: it is split into words and quoted phrases, each run
through the same analyzer as the indexed text, and the resulting terms are put into term and
phrase queries directly. So AND, NEAR, *, brackets and field prefixes are only ever words.
The access filter is one more required clause of the same query, so the total and the facets
are counted over what the caller may see and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import tantivy

from indexer.base import SearchQuery

ANALYZER = "escr_text"
# Documents on no person carry this person value, so "unlinked" is one more term to filter on.
# No real person ID starts with a NUL character.
UNLINKED = "\x00unlinked"
# More terms than this is not a search a person typed; it only makes the index slow.
MAX_TERMS = 32
TITLE_BOOST = 4.0

_WORD = re.compile(r"\w+")
# A quoted phrase, or an unterminated one running to the end of the text, or a bare word.
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"?|([^\s"]+)')


def text_analyzer() -> tantivy.TextAnalyzer:
    """tantivy's en_stem plus ASCII folding, so "cafe" finds "café" as FTS users expect."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def parse_text(text: str) -> list[str]:
    """User text as phrases of plain words; a lone word is a phrase of one."""
    phrases: list[str] = []
    terms = 0
    for match in _PHRASE_OR_WORD.finditer(text):
        words = _WORD.findall(match.group(1) or match.group(2) or "")
        if words and terms + len(words) <= MAX_TERMS:
            phrases.append(" ".join(words))
            terms += len(words)
    return phrases


@dataclass(frozen=True)
class TextPlan:
    """Analyzed user text: each phrase as (position, term) pairs."""

    phrases: tuple[tuple[tuple[int, str], ...], ...]


def plan_text(analyzer: tantivy.TextAnalyzer, text: str) -> TextPlan | None:
    """The analyzed phrases of the user's text, or None where it holds no searchable word."""
    phrases = []
    for phrase in parse_text(text):
        tokens = analyzer.pre_tokenize(phrase).tokens
        if tokens:
            phrases.append(tuple((t.position, t.text) for t in tokens))
    if not phrases:
        return None
    return TextPlan(tuple(phrases))


def _in_field(
    schema: tantivy.Schema, field: str, phrase: tuple[tuple[int, str], ...]
) -> tantivy.Query:
    if len(phrase) == 1:
        return tantivy.Query.term_query(schema, field, phrase[0][1])
    # Positions keep the gaps left by dropped tokens, so the phrase matches as it was indexed.
    first = phrase[0][0]
    return tantivy.Query.phrase_query(schema, field, [(p - first, t) for p, t in phrase])


def text_query(schema: tantivy.Schema, plan: TextPlan) -> tantivy.Query:
    """Every phrase must occur in the title or the text; title matches weigh more."""
    must = []
    for phrase in plan.phrases:
        either = tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(_in_field(schema, "title", phrase), TITLE_BOOST),
                ),
                (tantivy.Occur.Should, _in_field(schema, "text", phrase)),
            ]
        )
        must.append((tantivy.Occur.Must, either))
    return tantivy.Query.boolean_query(must)


def _day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def full_query(
    schema: tantivy.Schema, query: SearchQuery, text: tantivy.Query | None
) -> tantivy.Query:
    """The text clause and every filter, the access filter included, as one boolean query.

    The caller answers an `allowed_person_ids` of () itself: it can match nothing.
    """
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    if text is not None:
        clauses.append((tantivy.Occur.Must, text))
    any_of: list[tuple[str, list[str]]] = [
        ("person", list(query.person_ids)),
        ("doc_type", list(query.doc_types)),
        ("source_system", list(query.source_systems)),
    ]
    if query.allowed_person_ids is not None:
        allowed = list(query.allowed_person_ids)
        any_of.append(("person", [*allowed, UNLINKED] if query.include_unlinked else allowed))
    for field, values in any_of:
        if values:
            clauses.append(
                (tantivy.Occur.Must, tantivy.Query.term_set_query(schema, field, values))
            )
    if query.date_from is not None or query.date_to is not None:
        when = tantivy.Query.range_query(
            schema,
            "date",
            tantivy.FieldType.Date,
            _day(query.date_from) if query.date_from else None,
            _day(query.date_to) if query.date_to else None,
        )
        clauses.append((tantivy.Occur.Must, when))
    if not query.include_unlinked:
        unlinked = tantivy.Query.term_query(schema, "person", UNLINKED)
        clauses.append((tantivy.Occur.MustNot, unlinked))
    if query.excluded_access_tags:
        tags = list(query.excluded_access_tags)
        clauses.append(
            (tantivy.Occur.MustNot, tantivy.Query.term_set_query(schema, "access_tag", tags))
        )
    if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
        # A boolean query of only MustNot matches nothing; start from every document.
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    return tantivy.Query.boolean_query(clauses)
