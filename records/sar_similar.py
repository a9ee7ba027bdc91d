"""Near-duplicate documents for a subject access request: pages at least 90% the same text.

A care record holds the same letter printed, scanned and emailed, a case note copied into a
review: a bundle that repeats them is the "lengthy documents with no context" the ICO
criticised. Two pages are alike when difflib's ratio over their words is at least 0.9 (the
share of the text they have in common). Comparing every page with every other is quadratic
(5,000 pages: 12.5 million pairs), so candidates come from MinHash with banding (LSH) over
word trigrams: 64 hashes in 16 bands of 4, which puts pages of trigram Jaccard 0.8 in one
bucket with probability 0.9998; candidates whose trigram Jaccard (estimated, then exact) is
at least 0.5 are compared word by word. Identical pages
are joined without comparing. Two documents are near-duplicates when at least 90% of the
pages of the longer one are alike with pages of the other; groups are closed transitively.
Measured in bench/bench_sar.py (docs/decisions/0033).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from difflib import SequenceMatcher
from itertools import combinations

import numpy as np

SAME_TEXT = 0.9  # the "at least 90% the same text"
MIN_WORDS = 8  # shorter pages (blank, a page number, "continued") say nothing about a copy
HASHES, BANDS = 64, 16
MIN_JACCARD = 0.5  # of the word trigrams: below it, two pages cannot be 90% the same text
MIN_ESTIMATE = 0.35  # MinHash's estimate of it, with a margin of two standard errors
ROWS = HASHES // BANDS
_PRIME = 4_294_967_311  # above 2^32: (a * h + b) stays below 2^64 for 32-bit h and a
_rng = np.random.default_rng(20240915)  # fixed: the same candidates every run
_A = _rng.integers(1, 2**31, size=HASHES, dtype=np.uint64)
_B = _rng.integers(0, 2**31, size=HASHES, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def _pages(texts: Mapping[int, str]) -> list[tuple[int, tuple[str, ...]]]:
    """(document ID, the page's words) for every page with something to compare."""
    out = []
    for document_id, text in texts.items():
        for page in text.split("\f"):
            words = tuple(_WORD.findall(page.casefold()))
            if len(words) >= MIN_WORDS:
                out.append((document_id, words))
    return out


def _shingles(words: tuple[str, ...]) -> set[int]:
    return {hash(words[i : i + 3]) & 0xFFFFFFFF for i in range(len(words) - 2)}


def _signature(shingles: set[int]) -> np.ndarray:
    values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    signature: np.ndarray = ((np.outer(values, _A) + _B) % _PRIME).min(axis=0)
    return signature


def alike(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """The share of two pages' words in common (difflib's ratio), 0 when clearly below 0.9."""
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < SAME_TEXT:  # difflib's real_quick_ratio
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.quick_ratio() < SAME_TEXT:
        return 0.0
    return matcher.ratio()


class _Union:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def page_clusters(pages: list[tuple[int, tuple[str, ...]]]) -> _Union:
    """Pages joined with the pages they are alike (by index into `pages`)."""
    clusters = _Union()
    first_of: dict[tuple[str, ...], int] = {}
    distinct: list[int] = []
    for index, (_doc, words) in enumerate(pages):
        first = first_of.setdefault(words, index)
        if first != index:
            clusters.join(first, index)  # the same words: no need to compare
        else:
            distinct.append(index)
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    signatures: dict[int, np.ndarray] = {}
    shingles: dict[int, set[int]] = {}
    for index in distinct:
        shingles[index] = _shingles(pages[index][1])
        signature = signatures[index] = _signature(shingles[index])
        for band in range(BANDS):
            buckets[band, signature[band * ROWS : (band + 1) * ROWS].tobytes()].append(index)
    compared: set[tuple[int, int]] = set()
    for members in buckets.values():
        for a, b in combinations(members, 2):
            if (a, b) in compared or clusters.find(a) == clusters.find(b):
                continue
            compared.add((a, b))
            # Case records share much wording (templates, headings), so many pages meet in a
            # bucket. Pages 90% the same text have a trigram Jaccard of at least about 0.54
            # (each word outside the matching blocks breaks at most three trigrams), so the
            # signatures' estimate (standard error 0.06) and then the exact Jaccard sift the
            # pairs before difflib reads them word by word.
            if np.count_nonzero(signatures[a] == signatures[b]) / HASHES < MIN_ESTIMATE:
                continue
            sa, sb = shingles[a], shingles[b]
            if len(sa & sb) / len(sa | sb) < MIN_JACCARD:
                continue
            if alike(pages[a][1], pages[b][1]) >= SAME_TEXT:
                clusters.join(a, b)
    return clusters


def near_duplicate_groups(texts: Mapping[int, str]) -> dict[int, tuple[int, float]]:
    """Document ID -> (its group: the smallest document ID in it, the share of pages alike
    with its closest member), for documents in a group of two or more."""
    pages = _pages(texts)
    clusters = page_clusters(pages)
    doc_clusters: dict[int, list[int]] = defaultdict(list)
    for index, (document_id, _words) in enumerate(pages):
        doc_clusters[document_id].append(clusters.find(index))
    holders: dict[int, set[int]] = defaultdict(set)
    for document_id, found in doc_clusters.items():
        for cluster in found:
            holders[cluster].add(document_id)
    documents = _Union()
    best: dict[int, float] = {}
    for document_id, found in doc_clusters.items():
        shared: dict[int, int] = defaultdict(int)
        mine = set(found)
        for cluster in mine:
            for other in holders[cluster]:
                if other > document_id:
                    shared[other] += 1
        for other, _count in shared.items():
            score = _pages_alike(found, doc_clusters[other])
            if score >= SAME_TEXT:
                documents.join(document_id, other)
                best[document_id] = max(best.get(document_id, 0.0), score)
                best[other] = max(best.get(other, 0.0), score)
    return {d: (documents.find(d), round(best[d], 3)) for d in best}


def _pages_alike(a: list[int], b: list[int]) -> float:
    """The share of the longer document's pages that have an alike page in the other."""
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    other = set(shorter)
    return sum(1 for cluster in longer if cluster in other) / len(longer)
