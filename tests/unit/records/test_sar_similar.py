"""Near-duplicates for a subject access request: pages at least 90% the same text (difflib's
ratio over words), found through MinHash candidates, checked against difflib itself."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

from records.sar_similar import near_duplicate_groups

SENTENCE = (
    "the child was seen at home with her mother and the social worker discussed school "
    "attendance contact with her father the plan for respite weekends and the health visitor"
)
WORDS = SENTENCE.split()


def _page(rng: random.Random, n: int = 200) -> list[str]:
    return [rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(n)]


def _changed(words: list[str], every: int) -> list[str]:
    return [f"changed{i}" if i % every == 0 else w for i, w in enumerate(words)]


def test_pages_at_90_percent_group_and_pages_below_do_not() -> None:
    rng = random.Random(7)
    base = _page(rng)
    texts = {1: " ".join(base)}
    # Every 20th word changed: 95% the same; every 7th: about 86%. Spread evenly, the worst
    # case for the trigram filter.
    texts[2] = " ".join(_changed(base, 20))
    texts[3] = " ".join(_changed(base, 7))
    texts[4] = " ".join(_page(rng))  # another page altogether
    ratio = {
        k: SequenceMatcher(None, base, texts[k].split(), autojunk=False).ratio() for k in (2, 3)
    }
    assert ratio[2] >= 0.9 > ratio[3]  # the inputs are what they claim
    groups = near_duplicate_groups(texts)
    assert set(groups) == {1, 2}
    assert groups[1][0] == groups[2][0] == 1


def test_documents_group_only_when_most_pages_are_alike() -> None:
    rng = random.Random(8)
    pages = [_page(rng) for _ in range(5)]
    whole = "\f".join(" ".join(p) for p in pages)
    one_page_shared = "\f".join([" ".join(pages[0]), *(" ".join(_page(rng)) for _ in range(4))])
    rescanned = "\f".join(" ".join(_changed(p, 25)) for p in pages)
    groups = near_duplicate_groups({10: whole, 11: one_page_shared, 12: rescanned})
    assert set(groups) == {10, 12}  # one page in five alike is not a near-duplicate document
    blank = {20: "\f\f1", 21: "\f\f1"}  # pages too short to say anything are not compared
    assert near_duplicate_groups(blank) == {}
