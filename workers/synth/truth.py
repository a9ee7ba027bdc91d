"""The ground truth of a noisy archive (`escr synth --noise`): truth.csv and people_truth.csv.

truth.csv, one line per document (the first manifest line of each source document ID):
- line_no, source_system, source_document_id: which manifest line it is.
- person_ids: the people the document is truly about (sorted, ";"-separated); empty when it is
  about nobody in people.csv (an unknown or missing legacy ID of someone never migrated).
- linkable: 1 when the archive holds enough to find them: the manifest's legacy IDs lead to
  exactly them through people.csv as written (`crosswalk`), or the text quotes their name with
  their date of birth, or their NHS number (`text`); else 0 (a quarantined file, a scan showing
  a name only, a sibling group's paper whose legacy ID is missing).
- evidence: crosswalk, text, both (";"-separated) or empty.
- filed_person_ids: whom the manifest's legacy IDs lead to through people.csv as written (what
  a crosswalk-only linker links; several when a legacy ID is ambiguous).
- misfiled: `nhs` or `name_dob` when the document carries another person's legacy ID while
  its text names its true subject (with or without their NHS number); else empty.
- doc_type: the true document type (a domain.vocabulary code).
- noise: the noise kinds applied to the document (workers/synth/noise.py), ";"-separated.
- person_noise: the noise kinds of the people it is about (twin, reused_id_..., see below).

people_truth.csv, one line per person: person_id, family (siblings share it), address,
twin_of (the twin's person ID), siblings (";"-separated person IDs) and noise (the person's
kinds: twin, reused_id_cross_system, reused_id_recycled, wrong_crosswalk, and
wrong_crosswalk_target on the person wrongly given someone else's legacy ID).
"""

from __future__ import annotations

import csv
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from core.states import RowState
from domain.values import normalise_legacy_id
from workers.synth.people import Person
from workers.synth.plan import RowPlan

TRUTH_FILE = "truth.csv"
PEOPLE_TRUTH_FILE = "people_truth.csv"


@dataclass(frozen=True)
class TruthRow:
    """What one document truly is (a line of truth.csv; the module docstring has the columns)."""

    line_no: int
    source_system: str
    source_document_id: str
    person_ids: str
    linkable: int
    evidence: str
    filed_person_ids: str
    misfiled: str
    doc_type: str
    noise: str
    person_noise: str


Crosswalk = dict[tuple[str, str], set[str]]


def crosswalk_as_written(people: list[Person]) -> Crosswalk:
    """(system, normalised legacy ID) -> person IDs, from people.csv's legacy_ids cells."""
    index: Crosswalk = {}
    for p in people:
        cell = p.legacy_ids if p.crosswalk is None else p.crosswalk
        for entry in filter(None, cell.split(";")):
            system, _, legacy = entry.partition(":")
            index.setdefault((system, normalise_legacy_id(legacy)), set()).add(p.person_id)
    return index


def _filed(crosswalk: Crosswalk, system: str, cell: str) -> tuple[set[str], bool]:
    """Whom a manifest legacy_person_id cell leads to, and whether any of its IDs is ambiguous."""
    found: set[str] = set()
    ambiguous = False
    for raw in filter(None, (c.strip() for c in cell.split(";"))):
        owners = crosswalk.get((system, normalise_legacy_id(raw)), set())
        ambiguous |= len(owners) > 1
        found |= owners
    return found, ambiguous


def truth_row(
    line_no: int,
    plan: RowPlan,
    line: list[str],
    state: str,
    crosswalk: Crosswalk,
    person_tags: dict[str, list[str]],
) -> TruthRow:
    """The truth of one document from its plan and its manifest line as written."""
    system, doc_id, cell = line[0], line[1], line[2]
    about = {p.person_id for p in plan.people} if plan.link not in ("unknown", "none") else set()
    filed, ambiguous = _filed(crosswalk, system, cell)
    evidence = []
    if about and filed == about and not ambiguous:
        evidence.append("crosswalk")
    readable = state == RowState.INDEXED and plan.kind != "mdb"
    quote, subject = plan.quote, plan.people[0] if plan.people else None
    if readable and about and quote and subject and (quote.dob or quote.nhs == subject.nhs_number):
        evidence.append("text")
    misfiled = next((n.removeprefix("misfiled_") for n in plan.noise if "misfiled" in n), "")
    noise = [*plan.noise, *(["same_bytes"] if plan.copy_of is not None else [])]
    return TruthRow(
        line_no=line_no,
        source_system=system,
        source_document_id=doc_id,
        person_ids=";".join(sorted(about)),
        linkable=int(bool(evidence)),
        evidence=";".join(evidence),
        filed_person_ids=";".join(sorted(filed)),
        misfiled=misfiled,
        doc_type=plan.doc_type,
        noise=";".join(noise),
        person_noise=";".join(sorted({t for p in about for t in person_tags.get(p, [])})),
    )


def write_truth(path: Path, rows: list[TruthRow]) -> None:
    """Write truth.csv."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([f.name for f in fields(TruthRow)])
        out.writerows(astuple(r) for r in rows)


def write_people_truth(path: Path, people: list[Person], tags: dict[str, list[str]]) -> None:
    """Write people_truth.csv: families, households, twins and each person's noise kinds."""
    families: dict[int, list[Person]] = {}
    for p in people:
        families.setdefault(p.family, []).append(p)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(("person_id", "family", "address", "twin_of", "siblings", "noise"))
        for p in people:
            kin = [k for k in families[p.family] if k != p]
            twin = next(
                (
                    k.person_id
                    for k in kin
                    if "twin" in tags[p.person_id]
                    and "twin" in tags[k.person_id]
                    and k.date_of_birth == p.date_of_birth
                ),
                "",
            )
            siblings = ";".join(k.person_id for k in kin)
            out.writerow(
                (p.person_id, p.family, p.address, twin, siblings, ";".join(tags[p.person_id]))
            )
