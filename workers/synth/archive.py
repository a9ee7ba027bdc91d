"""`escr synth`: a seeded synthetic legacy archive with the expected outcome of every row.

The archive looks like a PARIS/CareFirst export (manifest.csv, people.csv, files/...) and comes
with expected.csv, the ground truth that end-to-end tests and benchmarks assert against.
See docs/decisions/0004-synthetic-archive.md.

With `noise` (a level of workers/synth/noise.py: light, typical, heavy) the archive carries the
mistakes of real exports (misspelt and misquoted names, swapped dates of birth, missing, reused
and wrongly crosswalked legacy IDs, twins and siblings, misfiled documents, scans with no
metadata), people.csv gains an `address` column, and truth.csv and people_truth.csv
(workers/synth/truth.py) say what each document and person truly is. expected.csv's person_ids
are then the true people, not what today's crosswalk linker reaches. Without noise, a seed
writes the same bytes as it always did.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path

from core.states import Reason, RowState
from workers.sources.mapping import MANIFEST_FIELDS
from workers.synth import names
from workers.synth.noise import NoiseRates, add_people_noise, add_row_noise, noise_rates
from workers.synth.people import UNKNOWN_PARIS_FLOOR, Person, make_people, write_people
from workers.synth.plan import FULL_MIX_MIN_DOCS, RowPlan, plan_rows
from workers.synth.render import RenderedRow, render_row
from workers.synth.text import ADULT_NAMES, CHILD_NAMES, FAMILY_NAMES
from workers.synth.truth import (
    PEOPLE_TRUTH_FILE,
    TRUTH_FILE,
    TruthRow,
    crosswalk_as_written,
    truth_row,
    write_people_truth,
    write_truth,
)

# The archive contract's columns, plus one extra column the loader must keep as metadata.
MANIFEST_COLUMNS = (*MANIFEST_FIELDS, "created_by")
PROFILES = ("mixed", "realistic")
QUARANTINE = {
    "missing": Reason.MISSING_FILE,
    "escape": Reason.PATH_ESCAPE,
    "checksum": Reason.CHECKSUM_MISMATCH,
    "empty": Reason.EMPTY_FILE,
    "truncated": Reason.CORRUPT,
    "encrypted": Reason.ENCRYPTED,
}


@dataclass(frozen=True)
class ExpectedRow:
    """The outcome the pipeline must reach for one manifest line (a line of expected.csv)."""

    line_no: int  # the file line of manifest.csv where the row starts (the header is line 1)
    source_system: str
    source_document_id: str
    expected_state: str  # a core.states.RowState value
    expected_reason: str  # a core.states.Reason value, or empty
    person_ids: str  # target person IDs, sorted, ";"-separated; empty when unlinked
    doc_type: str  # a domain.vocabulary code; empty for quarantined and duplicate rows
    phrase: str  # a word a full-text search must find; empty when the text is unreadable
    content_group: str  # rows with identical file bytes share it; empty when there is no file


EXPECTED_COLUMNS = tuple(f.name for f in fields(ExpectedRow))


@dataclass(frozen=True)
class SyntheticArchive:
    """Where make_archive wrote the archive, and the expected outcome of every manifest row."""

    root: Path
    manifest_path: Path
    people_path: Path
    expected_path: Path
    expected: list[ExpectedRow]
    # With noise only: truth.csv, people_truth.csv (workers/synth/truth.py), truth.csv's rows.
    truth_path: Path | None = None
    people_truth_path: Path | None = None
    truth: list[TruthRow] | None = None


def _outcome(plan: RowPlan) -> tuple[str, str, str]:
    """(state, reason, person_ids) by the crosswalk and the NHS-number rule (_withheld says
    where matching then holds the link back)."""
    if plan.kind in QUARANTINE:
        return RowState.QUARANTINED.value, QUARANTINE[plan.kind].value, ""
    reason = Reason.UNSUPPORTED_TYPE.value if plan.kind == "mdb" else ""
    # Unknown legacy IDs link nobody; a quoted NHS number of someone not linked blocks every link.
    if plan.link in ("unknown", "none", "conflict"):
        return RowState.INDEXED.value, reason, ""
    return RowState.INDEXED.value, reason, ";".join(sorted(p.person_id for p in plan.people))


def _withheld(plan: RowPlan, plans: list[RowPlan]) -> bool:
    """One person's letter repeated on someone else's record (same bytes, two people): its
    text names its own subject (name and date of birth, or NHS number), another catalog
    person, so matching holds the crosswalk's link back as a subject_mismatch for a reviewer
    (issue 14) instead of putting the letter on the wrong record."""
    if plan.copy_of is None:
        return False
    original = plans[plan.copy_of]
    # render.py prints a single subject's date of birth, or the quote's date or NHS number.
    if len(original.people) != 1 or original.people[0] in plan.people:
        return False
    quote = original.quote
    return quote is None or bool(quote.dob or quote.nhs == original.people[0].nhs_number)


def _id_form(rng: random.Random, system: str, person: Person) -> str:
    if system == "CAREFIRST":
        return person.carefirst_id.lower() if rng.random() < 0.3 else person.carefirst_id
    raw = rng.choice(person.paris_ids)
    # Legacy exports pad numbers and leave trailing blanks; the crosswalk must see past both.
    if rng.random() < 0.2:
        raw = raw.zfill(8)
    return raw + " " if rng.random() < 0.15 else raw


def _legacy_cell(rng: random.Random, plan: RowPlan) -> tuple[str, str]:
    """(source_system, legacy_person_id) for a row."""
    if plan.link == "none" or plan.bare or "missing_id" in plan.noise:
        return "PARIS", ""
    if plan.link == "unknown":
        if rng.random() < 0.25:
            return "CAREFIRST", f"Z{rng.randint(100, 9999)}"  # no crosswalk ID starts with Z
        return "PARIS", str(rng.randint(UNKNOWN_PARIS_FLOOR, 999_999))
    filed = plan.filed_under or plan.people  # a misfiled document carries someone else's ID
    on_carefirst = all(p.carefirst_id for p in filed)
    system = "CAREFIRST" if on_carefirst and rng.random() < 0.4 else "PARIS"
    sep = rng.choice((";", "; "))
    return system, sep.join(_id_form(rng, system, p) for p in filed)


def _manifest_line(
    rng: random.Random, plan: RowPlan, rendered: RenderedRow, doc_id: str
) -> list[str]:
    system, legacy = _legacy_cell(rng, plan)
    day = rendered.day
    when = day.isoformat() if rng.random() < 0.5 else day.strftime("%d/%m/%Y")
    sha = ""
    if plan.kind == "checksum":
        sha = hashlib.sha256(b"not the file" + doc_id.encode()).hexdigest()
    elif rendered.sha256 and rng.random() < 0.3:
        sha = rendered.sha256
    user = rendered.author.lower().split()
    doc_id = doc_id if system == "PARIS" else "CF" + doc_id[1:]
    return [
        system,
        doc_id,
        legacy,
        rendered.path,
        rendered.title,
        rendered.legacy_type,
        when,
        sha,
        user[0][0] + user[-1],
    ]


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)


def _repeat_a_row(rng: random.Random, lines: list[list[str]], exp: list[list[str]]) -> None:
    """Append a verbatim copy of one indexed, linked line at a later position (same_source_id)."""
    candidates = [i for i, e in enumerate(exp) if e[2] == RowState.INDEXED and e[8] and not e[3]]
    src = rng.choice(candidates)
    at = rng.randint(src + 1, len(lines))
    lines.insert(at, list(lines[src]))
    repeat = [RowState.DUPLICATE.value, Reason.SAME_SOURCE_ID.value, "", "", ""]
    exp.insert(at, [*exp[src][:2], *repeat, exp[src][7], ""])


def make_archive(
    out_dir: Path,
    *,
    seed: int = 1,
    people: int = 20,
    docs: int = 100,
    scan_fraction: float | None = None,
    profile: str = "mixed",
    noise: str | NoiseRates | None = None,
) -> SyntheticArchive:
    """Write a synthetic legacy archive of `docs` manifest rows into out_dir; same seed, same bytes.

    scan_fraction is the share of image-only scans (OCR costs 1-2 s a page); by default 8% up to
    1,000 docs and 2% above, so large benchmark archives stay cheap to load.

    profile "mixed" is every kind of file and defect an export holds; "realistic" is readable
    born-digital PDFs as long as real ones (letters and case notes of 1-3 pages, assessments and
    court reports of 10-20; 2-40 KB of text), for benchmarks against raw extraction.

    noise: a level name (light, typical, heavy) or NoiseRates; None writes no noise at all.
    """
    if people < 2 or docs < 1:
        raise ValueError("make_archive needs at least 2 people and 1 document")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
    realistic = profile == "realistic"
    fraction = scan_fraction if scan_fraction is not None else (0.08 if docs <= 1000 else 0.02)
    rates = noise_rates(noise) if isinstance(noise, str) else noise
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    if rates is None:
        persons = make_people(rng, people)
    else:
        # A stream of its own, so that no noise leaves the main stream (and the bytes) as before.
        noise_rng = random.Random(f"escr-synth-noise-{seed}")
        persons = make_people(
            rng,
            people,
            child_names=CHILD_NAMES + names.NOISY_CHILD_NAMES,
            adult_names=ADULT_NAMES + names.NOISY_ADULT_NAMES,
            family_names=FAMILY_NAMES + names.NOISY_FAMILY_NAMES,
        )
        persons, person_tags = add_people_noise(noise_rng, persons, rates)
    plans = plan_rows(rng, persons, docs, fraction, realistic=realistic)
    if rates is not None:
        add_row_noise(noise_rng, plans, persons, rates)
    lines, exp = _rows(rng, plans, _render_all(rng, plans, out_dir))
    # Each document's plan and first manifest line, before a line is repeated.
    firsts = {(line[0], line[1]): (plan, line) for plan, line in zip(plans, lines, strict=True)}
    if docs >= FULL_MIX_MIN_DOCS and not realistic:
        _repeat_a_row(rng, lines, exp)
    archive = _write_csvs(out_dir, persons, lines, exp, addresses=rates is not None)
    if rates is None:
        return archive
    return _write_truth(archive, firsts, persons, person_tags)


def _write_truth(
    archive: SyntheticArchive,
    firsts: dict[tuple[str, str], tuple[RowPlan, list[str]]],
    persons: list[Person],
    person_tags: dict[str, list[str]],
) -> SyntheticArchive:
    crosswalk = crosswalk_as_written(persons)
    rows: list[TruthRow] = []
    for e in archive.expected:
        plan_line = firsts.pop((e.source_system, e.source_document_id), None)
        if plan_line is not None:  # a repeated line is not a document of its own
            plan, line = plan_line
            rows.append(truth_row(e.line_no, plan, line, e.expected_state, crosswalk, person_tags))
    truth_path, people_truth_path = archive.root / TRUTH_FILE, archive.root / PEOPLE_TRUTH_FILE
    write_truth(truth_path, rows)
    write_people_truth(people_truth_path, persons, person_tags)
    return replace(archive, truth_path=truth_path, people_truth_path=people_truth_path, truth=rows)


def _render_all(rng: random.Random, plans: list[RowPlan], out_dir: Path) -> list[RenderedRow]:
    """Render and write every row's file; the rows come back without their bytes."""
    used_phrases: set[str] = set()
    rendered: list[RenderedRow | None] = [None] * len(plans)
    copied = {p.copy_of for p in plans}
    made: set[Path] = set()
    # Originals first: a repeated-bytes row copies its original's rendering.
    for i in sorted(range(len(plans)), key=lambda i: plans[i].copy_of is not None):
        copy_of = plans[i].copy_of
        original = rendered[copy_of] if copy_of is not None else None
        row = render_row(rng, plans[i], used_phrases, i, original)
        _store(out_dir, row, made)
        # Bytes are dropped once written, so 10,000 documents never sit in memory together.
        rendered[i] = row if i in copied else replace(row, data=None)
    return [r for r in rendered if r is not None]


def _rows(
    rng: random.Random, plans: list[RowPlan], rendered: list[RenderedRow]
) -> tuple[list[list[str]], list[list[str]]]:
    """Manifest lines, and expected lines (without line_no; then sha256, for content groups,
    and the people the crosswalk names, which _repeat_a_row picks by)."""
    lines: list[list[str]] = []
    exp: list[list[str]] = []
    serial = 1_000_000
    for plan, row in zip(plans, rendered, strict=True):
        serial += rng.randint(1, 9)  # legacy IDs have gaps: deleted and test documents
        lines.append(_manifest_line(rng, plan, row, f"D{serial}"))
        state, reason, crosswalk_ids = _outcome(plan)
        person_ids = "" if _withheld(plan, plans) else crosswalk_ids
        indexed = state == RowState.INDEXED
        text = row.phrase if indexed and plan.kind != "mdb" else ""
        doc_type = plan.doc_type if indexed else ""
        row_exp = [state, reason, person_ids, doc_type, text, row.sha256, crosswalk_ids]
        exp.append([*lines[-1][:2], *row_exp])
    return lines, exp


def _store(out_dir: Path, row: RenderedRow, made: set[Path]) -> None:
    if row.data is None:
        return
    target = out_dir / row.path
    if target.parent not in made:  # one mkdir per folder, not per file
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    target.write_bytes(row.data)


def _write_csvs(
    out_dir: Path,
    persons: list[Person],
    lines: list[list[str]],
    exp: list[list[str]],
    *,
    addresses: bool = False,
) -> SyntheticArchive:
    groups: dict[str, str] = {}  # sha256 -> content group, numbered in manifest order
    for e in exp:
        if e[7]:
            groups.setdefault(e[7], f"c{len(groups) + 1:05d}")
    expected = [
        ExpectedRow(
            line_no=n + 1,  # no cell of ours spans lines: the row after the header is line 2
            source_system=e[0],
            source_document_id=e[1],
            expected_state=e[2],
            expected_reason=e[3],
            person_ids=e[4],
            doc_type=e[5],
            phrase=e[6],
            content_group=groups.get(e[7], ""),
        )
        for n, e in enumerate(exp, start=1)
    ]
    archive = SyntheticArchive(
        root=out_dir,
        manifest_path=out_dir / "manifest.csv",
        people_path=out_dir / "people.csv",
        expected_path=out_dir / "expected.csv",
        expected=expected,
    )
    write_people(archive.people_path, persons, addresses=addresses)
    _write_csv(archive.manifest_path, MANIFEST_COLUMNS, lines)
    rows = [[str(v) for v in astuple(e)] for e in expected]
    _write_csv(archive.expected_path, EXPECTED_COLUMNS, rows)
    return archive
