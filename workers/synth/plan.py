"""What each row of the synthetic archive will be: file kind, defect, people and document type.

The plan is decided first and the bytes are made afterwards (workers/synth/archive.py), so
the ground truth follows from intent and the tests can check it against the files independently.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import cycle, islice

from workers.synth.people import Person
from workers.synth.text import PAGES, TYPES

# Defects each appear once in every archive of 40 rows or more.
DEFECTS = (
    "missing",
    "escape",
    "checksum",
    "empty",
    "truncated",
    "encrypted",
    "pdf_as_doc",
    "mdb",
)
SCAN_KINDS = ("scan_pdf", "jpeg", "png", "tiff")  # "tiff2" is a two-page TIFF
TEXT_WEIGHTS = {"pdf": 38, "docx": 15, "rtf": 7, "eml": 10, "html": 7, "txt": 8, "txt1252": 6}
NHS_KINDS = frozenset({"pdf", "docx", "rtf", "html", "txt"})  # text is reliably extracted
# Rows whose type code may be left out: their words alone must classify them.
UNCODED_KINDS = frozenset({"pdf", "docx", "rtf", "html", "txt", "txt1252", "pdf_as_doc"})
FULL_MIX_MIN_DOCS = 40


@dataclass(frozen=True)
class Quote:
    """How a noisy archive's document names its subject near the top (workers/synth/noise.py)."""

    name: str  # as written: maybe a nickname, another spelling or a typo
    dob: str  # dd/mm/yyyy as written (maybe day and month swapped); empty when not quoted
    nhs: str  # the ten digits quoted; empty when not quoted
    address: str  # empty when not quoted


@dataclass
class RowPlan:
    """One manifest row before its bytes exist."""

    kind: str
    link: str = "single"  # single | siblings | unknown | none | own_nhs | conflict
    people: list[Person] = field(default_factory=list)
    nhs_of: Person | None = None  # whose NHS number the text quotes
    doc_type: str = "other"
    code_mode: str = "code"  # code | free | empty
    long: bool = False
    copy_of: int | None = None  # index of the row whose bytes this one repeats (same content)
    pages: int = 0  # realistic profile: the pages it runs to (0: the mixed profile's length)
    # The noisy archive only: whose legacy IDs the manifest carries when not `people`'s (a
    # misfiled document; None: the people's own), an empty legacy ID, title and type code
    # (`bare`), how the text quotes its subject, and the noise kinds applied to the row.
    filed_under: list[Person] | None = None
    bare: bool = False
    quote: Quote | None = None
    noise: list[str] = field(default_factory=list)


def _kinds(rng: random.Random, docs: int, scan_fraction: float) -> list[RowPlan]:
    full = docs >= FULL_MIX_MIN_DOCS
    rows: list[RowPlan] = []
    if full:
        rows += [RowPlan(k) for k in DEFECTS]
        conflicts = ["pdf", "txt"] + (["pdf"] if docs >= 100 else [])
        rows += [RowPlan(k, link="conflict") for k in conflicts]
        rows += [RowPlan("pdf"), RowPlan("pdf", copy_of=len(rows))]  # same bytes, two people
    n_scans = round(docs * scan_fraction)
    two_page = (2 if docs >= 100 else 1) if full else 0
    if full:
        n_scans = max(n_scans, len(SCAN_KINDS) + two_page)
    rows += [RowPlan("tiff2") for _ in range(min(two_page, n_scans))]
    rows += [RowPlan(k) for k in islice(cycle(SCAN_KINDS), max(0, n_scans - two_page))]
    # One row is kept back for the repeated source_document_id line.
    rest = docs - len(rows) - (1 if full else 0)
    kinds = list(TEXT_WEIGHTS)[: max(rest, 0)]
    kinds += rng.choices(
        list(TEXT_WEIGHTS), weights=list(TEXT_WEIGHTS.values()), k=rest - len(kinds)
    )
    rows += [RowPlan(k, long=k == "pdf" and rng.random() < 0.12) for k in kinds]
    return rows[:docs]


def _pick_type(rng: random.Random, service: str) -> str:
    if rng.random() < 0.03:
        return "other"
    options = [
        t for t, s in TYPES.items() if t not in ("email", "other") and s.service in ("any", service)
    ]
    # Case notes and letters dominate real case files.
    return rng.choice([*options, "case_note", "case_note", "correspondence"])


def _assign_links(
    rng: random.Random,
    rows: list[RowPlan],
    people: list[Person],
    docs: int,
    own_nhs_share: float,
) -> None:
    copied = {r.copy_of for r in rows if r.copy_of is not None}
    plain = [
        r
        for i, r in enumerate(rows)
        if r.link == "single" and r.kind not in DEFECTS and r.copy_of is None and i not in copied
    ]
    rng.shuffle(plain)
    full = docs >= FULL_MIX_MIN_DOCS
    families: dict[int, list[Person]] = {}
    for p in people:
        if p.service == "children":
            families.setdefault(p.family, []).append(p)
    groups = [f for f in families.values() if len(f) >= 2]
    wanted = {
        "siblings": max(int(full), round(0.06 * docs)) if groups else 0,
        "unknown": max(int(full), round(0.03 * docs)),
        "none": max(int(full), round(0.03 * docs)),
    }
    for link, n in wanted.items():
        for row in plain[:n]:
            row.link = link
            if link == "siblings":
                row.people = rng.sample(rng.choice(groups), k=2)
        plain = plain[n:]
    own = [r for r in plain if r.kind in NHS_KINDS]
    # Their own NHS number in the text: it confirms the crosswalk's link.
    for row in own[: max(3 if full else 0, round(own_nhs_share * docs))]:
        row.link = "own_nhs"
    for row in rows:
        if row.link in ("single", "own_nhs", "conflict"):
            row.people = [rng.choice(people)]
        if row.link == "own_nhs":
            row.nhs_of = row.people[0]
        if row.link == "conflict":
            # A misfiled sibling's paper is the usual way this happens; else anyone else.
            kin = [p for p in people if p.family == row.people[0].family and p != row.people[0]]
            row.nhs_of = rng.choice(kin or [p for p in people if p != row.people[0]])
    for row in rows:
        if row.copy_of is not None:  # the other copy must be on somebody else's record
            first = rows[row.copy_of].people[0]
            row.people = [rng.choice([p for p in people if p != first])]


def _assign_types(rng: random.Random, rows: list[RowPlan], docs: int) -> None:
    for row in rows:
        service = row.people[0].service if row.people else rng.choice(("children", "adults"))
        row.doc_type = "email" if row.kind == "eml" else _pick_type(rng, service)
    for row in rows:
        if row.copy_of is not None:
            row.doc_type = rows[row.copy_of].doc_type
    eligible = [
        r for r in rows if r.kind in UNCODED_KINDS and r.doc_type != "other" and r.copy_of is None
    ]
    rng.shuffle(eligible)
    n_free, n_empty = round(0.15 * docs), round(0.10 * docs)
    for row in eligible[:n_free]:
        row.code_mode = "free"
    for row in eligible[n_free : n_free + n_empty]:
        row.code_mode = "empty"


def plan_rows(
    rng: random.Random,
    people: list[Person],
    docs: int,
    scan_fraction: float,
    *,
    realistic: bool = False,
) -> list[RowPlan]:
    """Decide every row; rows that repeat bytes point at their original by index.

    realistic: every row a readable born-digital PDF of its type's real length (PAGES), for
    benchmarks that compare the load with raw extraction of the same files."""
    rows = [RowPlan("pdf") for _ in range(docs)] if realistic else _kinds(rng, docs, scan_fraction)
    _assign_links(rng, rows, people, docs, own_nhs_share=0.4 if realistic else 0.06)
    _assign_types(rng, rows, docs)
    if realistic:
        for row in rows:
            row.pages = rng.randint(*PAGES.get(row.doc_type, (2, 6)))
    # Shuffle, keeping copy_of pointing at the right row.
    order = list(range(len(rows)))
    rng.shuffle(order)
    where = {old: new for new, old in enumerate(order)}
    shuffled = [rows[i] for i in order]
    for row in shuffled:
        if row.copy_of is not None:
            row.copy_of = where[row.copy_of]
    return shuffled
