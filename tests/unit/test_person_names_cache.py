"""name_tokens is cached (the link step folds the same names for every document): a caller's
list is its own, and the cached answer is the uncached one."""

from __future__ import annotations

import re

from domain.person_names import fold, name_tokens


def test_a_callers_list_is_its_own() -> None:
    first = name_tokens("Smith-Jones, Zoë")
    first.append("changed")
    first[0] = "x"
    assert name_tokens("Smith-Jones, Zoë") == ["smith", "jones", "zoe"]


def test_the_cached_answer_is_the_folded_words() -> None:
    for text in ("Zoë O'Brien", "  ", "", "ŁUKASZ  Ødegård", "Mary-Ann", "zoe o’brien"):
        once, again = name_tokens(text), name_tokens(text)
        assert once == again == [t for t in re.split(r"[^a-z0-9]+", fold(text)) if t]
