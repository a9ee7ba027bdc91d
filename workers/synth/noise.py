"""`escr synth --noise`: the mistakes real legacy exports carry, each at a seeded, documented rate.

Off by default: without noise, a seed writes the same bytes as before noise existed (the noise
draws from a random stream of its own and touches nothing when off). With noise the archive
also holds truth.csv and people_truth.csv (workers/synth/truth.py). The kinds and their rates
(per `typical`; `light` halves and `heavy` doubles each), decision 0029:

People (people.csv, the crosswalk):
- households: every person has an address; siblings share their family's surname and address.
- twins: `twins` of the children are twin pairs: same surname, date of birth and address,
  different given names and NHS numbers.
- reused legacy IDs: `reused_id` of the people share a legacy ID with someone else, either
  across systems (B's CareFirst ID is A's PARIS number: harmless to a linker that keeps systems
  apart) or recycled within PARIS (both people.csv rows carry it: the crosswalk is ambiguous).
- wrong crosswalk entries: `wrong_crosswalk` of the people have a PARIS ID listed on another
  person's row in people.csv (a sibling's when there is one): the crosswalk links their
  documents to the wrong person.

Documents (a rate of all documents unless it says otherwise):
- misfiled: `misfiled` of the documents are about person B but carry person A's legacy ID; the
  text names B with B's date of birth, and in half of them B's NHS number.
- missing legacy IDs: `missing_id` of the documents about a catalog person have an empty ID.
- scans with no metadata: `bare_scan` of the documents are scans with no legacy ID, title or
  type code; a quarter of them show only a name (no date of birth): not linkable at all.
- name typos: `name_typo` of the documents quoting their subject misspell the given or family
  name (one keying slip), in the text and in a title that names them.
- nicknames and spellings: `name_variant` of the documents about someone whose name has other
  forms (names.py: Bob/Robert, Mohammed/Muhammad, ...) use one of them.
- swapped dates of birth: `dob_swap` of the documents quoting a date of birth whose day and
  month can be swapped (both 12 or less, and different) write it month first.

Letters and forms carry the subject's name and date of birth near the top, their NHS number
in `quote_nhs` of them and their address in `quote_address` (evidence, not noise).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace

from workers.synth.names import typo, variants
from workers.synth.people import Person
from workers.synth.plan import DEFECTS, NHS_KINDS, SCAN_KINDS, Quote, RowPlan
from workers.synth.text import make_address


@dataclass(frozen=True)
class NoiseRates:
    """Each noise kind's rate (see the module docstring for what each is a rate of)."""

    twins: float = 0.04
    reused_id: float = 0.02
    wrong_crosswalk: float = 0.015
    misfiled: float = 0.02
    missing_id: float = 0.05
    bare_scan: float = 0.02
    name_typo: float = 0.06
    name_variant: float = 0.25
    dob_swap: float = 0.04
    # Evidence, not noise: how often a letter or form quotes these (never scaled by a level).
    quote_nhs: float = 0.5
    quote_address: float = 0.6


NOT_SCALED = frozenset({"quote_nhs", "quote_address"})
LEVELS = {"light": 0.5, "typical": 1.0, "heavy": 2.0}
BARE_NAME_ONLY = 0.25  # share of scans with no metadata that show a name and nothing else


def noise_rates(level: str) -> NoiseRates:
    """The rates of a named level."""
    if level not in LEVELS:
        raise ValueError(f"unknown noise level {level!r}; one of {', '.join(LEVELS)}")
    base = NoiseRates()
    scaled = {
        f.name: getattr(base, f.name) * (1 if f.name in NOT_SCALED else LEVELS[level])
        for f in fields(NoiseRates)
    }
    return NoiseRates(**scaled)


def _count(rate: float, of: int) -> int:
    """How many of `of` get a noise kind: at least one whenever the rate is not zero."""
    return min(of, max(1, round(rate * of))) if rate > 0 and of else 0


def add_people_noise(
    rng: random.Random, people: list[Person], rates: NoiseRates
) -> tuple[list[Person], dict[str, list[str]]]:
    """Addresses, twins, reused IDs and wrong crosswalk entries; the people and each one's tags."""
    tags: dict[str, list[str]] = {p.person_id: [] for p in people}
    homes: dict[int, str] = {}
    people = [replace(p, address=homes.setdefault(p.family, make_address(rng))) for p in people]
    by_family: dict[int, list[int]] = {}
    for i, p in enumerate(people):
        if p.service == "children":
            by_family.setdefault(p.family, []).append(i)
    groups = [g for g in by_family.values() if len(g) >= 2]
    children = sum(len(g) for g in by_family.values())
    for group in rng.sample(groups, k=min(len(groups), _count(rates.twins / 2, children))):
        first, second = group[0], group[1]
        people[second] = replace(people[second], date_of_birth=people[first].date_of_birth)
        tags[people[first].person_id].append("twin")
        tags[people[second].person_id].append("twin")
    untouched = [i for i, p in enumerate(people) if not tags[p.person_id]]
    rng.shuffle(untouched)
    for n in range(_count(rates.reused_id, len(people)) if len(untouched) >= 4 else 0):
        a, b = untouched.pop(), untouched.pop()
        shared = people[a].paris_ids[0]
        if n % 2 == 0:  # CareFirst numbered its people too; the numbers collide
            people[b] = replace(people[b], carefirst_id=shared)
            kind = "reused_id_cross_system"
        else:  # PARIS gave a deleted person's number to someone new
            people[b] = replace(people[b], paris_ids=(shared,))
            kind = "reused_id_recycled"
        tags[people[a].person_id].append(kind)
        tags[people[b].person_id].append(kind)
    _wrong_crosswalk(rng, people, tags, untouched, _count(rates.wrong_crosswalk, len(people)))
    return people, tags


def _wrong_crosswalk(
    rng: random.Random,
    people: list[Person],
    tags: dict[str, list[str]],
    untouched: list[int],
    count: int,
) -> None:
    """Move one PARIS ID of `count` people onto another person's people.csv row."""
    cells = {p.person_id: p.legacy_ids.split(";") for p in people}
    for _ in range(min(count, len(untouched))):
        a = people[untouched.pop()]
        kin = [p for p in people if p.family == a.family and p != a]
        other = rng.choice(kin or [p for p in people if p != a])
        moved = f"PARIS:{a.paris_ids[0]}"
        cells[a.person_id].remove(moved)
        cells[other.person_id].append(moved)
        tags[a.person_id].append("wrong_crosswalk")
        tags[other.person_id].append("wrong_crosswalk_target")
    for i, p in enumerate(people):
        if "wrong_crosswalk" in tags[p.person_id] or "wrong_crosswalk_target" in tags[p.person_id]:
            people[i] = replace(p, crosswalk=";".join(cells[p.person_id]))


def _subject_rows(plans: list[RowPlan]) -> list[RowPlan]:
    """Rows about one catalog person whose bytes are their own (not a defect, not a copy)."""
    copied = {p.copy_of for p in plans if p.copy_of is not None}
    return [
        p
        for i, p in enumerate(plans)
        if p.link in ("single", "own_nhs")
        and p.kind not in DEFECTS
        and p.copy_of is None
        and i not in copied
    ]


def add_row_noise(
    rng: random.Random, plans: list[RowPlan], people: list[Person], rates: NoiseRates
) -> None:
    """Misfile, strip and misquote rows in place (their `filed_under`, `bare`, `quote`, `noise`)."""
    docs = len(plans)
    free = _subject_rows(plans)
    rng.shuffle(free)
    texts = [p for p in free if p.kind in NHS_KINDS]
    for row in texts[: _count(rates.misfiled, docs)]:
        subject = row.people[0]
        kin = [p for p in people if p.family == subject.family and p != subject]
        others = [p for p in people if p.service == subject.service and p != subject]
        others = others or [p for p in people if p != subject]
        wrong = rng.choice(kin if kin and rng.random() < 0.5 else others)
        row.filed_under = [wrong]
        row.noise.append("misfiled_nhs" if rng.random() < 0.5 else "misfiled_name_dob")
    free = [p for p in free if not p.noise]
    scans = [p for p in free if p.kind in (*SCAN_KINDS, "tiff2")]
    scans += [p for p in free if p.kind == "pdf" and not p.long and not p.pages]
    for row in scans[: _count(rates.bare_scan, docs)]:
        if row.kind == "pdf":
            row.kind = "scan_pdf"  # a paper copy of it, scanned without an index
        row.bare, row.code_mode = True, "empty"
        row.noise.append("bare_scan_name_only" if rng.random() < BARE_NAME_ONLY else "bare_scan")
    free = [p for p in free if not p.noise]
    for row in free[: _count(rates.missing_id, docs)]:
        row.noise.append("missing_id")
    for row in plans:
        if len(row.people) == 1 and row.link != "unknown" and row.copy_of is None:
            row.quote = _quote(rng, row, rates)


def _quote(rng: random.Random, row: RowPlan, rates: NoiseRates) -> Quote:
    """How the row's text names its subject: variants, typos and swaps at their rates."""
    person = row.people[0]
    given, family = person.given_name, person.family_name
    if (variants(given) or variants(family)) and rng.random() < rates.name_variant:
        if variants(given):
            given = rng.choice(variants(given))
        else:
            family = rng.choice(variants(family))
        row.noise.append("name_variant")
    if rng.random() < rates.name_typo:
        if rng.random() < 0.5:
            given = typo(rng, given)
        else:
            family = typo(rng, family)
        row.noise.append("name_typo")
    born = person.date_of_birth
    dob = "" if "bare_scan_name_only" in row.noise else f"{born:%d/%m/%Y}"
    if dob and born.day <= 12 and born.day != born.month and rng.random() < rates.dob_swap:
        dob = f"{born.month:02d}/{born.day:02d}/{born.year}"
        row.noise.append("dob_swap")
    scan = row.kind in (*SCAN_KINDS, "tiff2")
    nhs = ""
    if row.link == "conflict" and row.nhs_of is not None:
        nhs = row.nhs_of.nhs_number  # the archive's NHS-conflict rows keep their stranger
    elif "misfiled_name_dob" in row.noise:
        nhs = ""
    elif (
        "misfiled_nhs" in row.noise
        or row.link == "own_nhs"
        or (not scan and rng.random() < rates.quote_nhs)
    ):
        nhs = person.nhs_number
    nhs = "" if scan else nhs  # a scan's page shows the name and dates only
    if row.link != "conflict":
        row.nhs_of = person if nhs else None
    address = person.address if not scan and rng.random() < rates.quote_address else ""
    return Quote(name=f"{given} {family}", dob=dob, nhs=nhs, address=address)
