"""An in-memory index of people's names for the person finder (decision 0030).

Folded names (domain/person_names.py) cannot be searched in SQL without a column of their own,
and a trigram index would differ between SQLite and PostgreSQL. People are few beside documents
(100,000 in a large authority): their names' distinct words are a few thousand, so each query
word is compared with every distinct word (exact, short form, prefix, one or two slips by
rapidfuzz), and the people holding the words found are intersected. The index is built once a
process per catalog and rebuilt when the people table changes (its row count or newest change).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Person
from domain.person_names import name_tokens, other_forms

# How alike a word of the query and a word of a name are, from the same word down to a slip.
EXACT, SHORT_FORM, PREFIX, ONE_SLIP, TWO_SLIPS = 1.0, 0.9, 0.8, 0.7, 0.6
MIN_PREFIX = 2  # "zo" finds Zoe and Zoltan; one letter finds too many to be a search
ONE_SLIP_FROM = 4  # letters a word needs before a slip is allowed ("al" is not a typo of "ali")
TWO_SLIPS_FROM = 8


def _slips_allowed(word: str) -> int:
    return 2 if len(word) >= TWO_SLIPS_FROM else 1 if len(word) >= ONE_SLIP_FROM else 0


@dataclass
class NameIndex:
    """People by the folded words of their names, and by date of birth."""

    version: tuple[int, datetime | None]
    person_ids: list[str] = field(default_factory=list)
    born: list[date | None] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    by_birth: dict[date, list[int]] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)  # sorted, for prefixes

    def add(self, person_id: str, names: str, born: date | None) -> None:
        slot = len(self.person_ids)
        self.person_ids.append(person_id)
        self.born.append(born)
        for word in set(name_tokens(names)):
            self.postings.setdefault(word, []).append(slot)
        if born is not None:
            self.by_birth.setdefault(born, []).append(slot)

    def seal(self) -> None:
        self.vocabulary = sorted(self.postings)

    def words_like(self, word: str) -> dict[str, float]:
        """Words of the index a query word may stand for, each with how alike they are."""
        found: dict[str, float] = {}

        def keep(candidate: str, score: float) -> None:
            if candidate in self.postings and found.get(candidate, 0.0) < score:
                found[candidate] = score

        keep(word, EXACT)
        for form in other_forms(word):
            keep(form, SHORT_FORM)
        if len(word) >= MIN_PREFIX:
            start = bisect.bisect_left(self.vocabulary, word)
            for candidate in self.vocabulary[start:]:
                if not candidate.startswith(word):
                    break
                keep(candidate, PREFIX)
        slips = _slips_allowed(word)
        if slips:
            # OSA counts a swap of neighbouring letters as one slip ("Aisha" for "Aihsa").
            for candidate, distance, _ in process.extract(
                word, self.vocabulary, scorer=OSA.distance, score_cutoff=slips, limit=None
            ):
                keep(candidate, ONE_SLIP if distance <= 1 else TWO_SLIPS)
        return found

    def search(self, words: Sequence[str], born: date | None) -> dict[str, float]:
        """person_id -> score for the people whose names have a word like each query word
        (and born on `born` where given); the score adds up how alike each word was."""
        scores: dict[int, float] | None = None
        for word in words:
            best: dict[int, float] = {}
            for candidate, score in self.words_like(word).items():
                for slot in self.postings[candidate]:
                    if best.get(slot, 0.0) < score:
                        best[slot] = score
            if scores is None:
                scores = best
            else:
                scores = {s: v + best[s] for s, v in scores.items() if s in best}
            if not scores:
                return {}
        if scores is None:  # no name words: the date of birth alone
            slots: Iterable[int] = self.by_birth.get(born, []) if born else []
            return {self.person_ids[s]: EXACT for s in slots}
        return {
            self.person_ids[s]: v for s, v in scores.items() if born is None or self.born[s] == born
        }


_LOCK = threading.Lock()
_INDEXES: dict[str, NameIndex] = {}


def _version(session: Session) -> tuple[int, datetime | None]:
    count, newest = session.execute(select(func.count(), func.max(Person.updated_at))).one()
    return int(count), newest


def name_index(session: Session) -> NameIndex:
    """The catalog's name index, rebuilt where the people table changed since it was built."""
    key = str(session.get_bind().engine.url)
    version = _version(session)
    current = _INDEXES.get(key)
    if current is not None and current.version == version:
        return current
    with _LOCK:
        current = _INDEXES.get(key)
        if current is not None and current.version == version:
            return current
        built = NameIndex(version=version)
        rows = session.execute(
            select(Person.person_id, Person.given_name, Person.family_name, Person.date_of_birth)
        )
        for person_id, given, family, born in rows:
            built.add(person_id, f"{given} {family}", born)
        built.seal()
        _INDEXES[key] = built
        return built
