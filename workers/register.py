"""Phase one of a load: account for every manifest row in the ledger, and load people.csv.

Registering before processing means no row can be lost: from here on, the reconciliation of
the batch is a query, and a killed load resumes from the ledger.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog import ledger, legacy_links
from catalog.models import Batch
from catalog.people import PersonRow, upsert_people
from core.clock import utcnow
from core.errors import InvalidInput
from core.states import Reason, RowState
from workers.sources.csvfile import Note
from workers.sources.manifest import BadRow, ManifestRow, read_manifest
from workers.sources.mapping import Mapping
from workers.sources.people import BadPerson, check_unique_person_ids, read_people

COMMIT_EVERY = 1000


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def default_batch_name(
    manifest: Path, manifest_sha256: str, *, mapping_sha256: str, people_sha256: str
) -> str:
    """Same inputs, same batch: a re-run resumes or reports every row unchanged. A corrected
    mapping or people file is a new round (it once kept the old round's wrong dates)."""
    inputs = hashlib.sha256(f"{manifest_sha256}:{mapping_sha256}:{people_sha256}".encode())
    return f"{manifest.parent.name or 'archive'}-{inputs.hexdigest()[:12]}"


@dataclass
class PeopleSummary:
    rows: int = 0
    changed: int = 0
    bad: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_counts: Counter[str] = field(default_factory=Counter)


def load_people(session: Session, path: Path, mapping: Mapping) -> PeopleSummary:
    """Upsert people and the crosswalk; rows that cannot be read are reported, not guessed.
    A file that gives one person twice is refused whole, before anything is written."""
    check_unique_person_ids(path, mapping)
    summary = PeopleSummary()
    now = utcnow()

    def absent(notes: list[Note]) -> None:
        summary.warnings.extend(f"header: {note}" for note in notes)
        summary.warning_counts.update(note.code for note in notes)

    waiting: list[PersonRow] = []

    def write() -> None:
        summary.changed += sum(upsert_people(session, waiting, now))
        session.commit()
        waiting.clear()

    for item in read_people(path, mapping, absent):
        summary.rows += 1
        if isinstance(item, BadPerson):
            summary.bad.append(f"line {item.line_no}: {item.detail}")
            continue
        summary.warnings.extend(f"line {item.line_no}: {w}" for w in item.warnings)
        summary.warning_counts.update(w.code for w in item.warnings)
        waiting.append(
            PersonRow(
                person_id=item.person_id,
                target_system=item.target_system,
                given_name=item.given_name,
                family_name=item.family_name,
                date_of_birth=item.date_of_birth,
                date_of_death=item.date_of_death,
                nhs_number=item.nhs_number,
                service=item.service,
                extra=item.extra,
                legacy_ids=frozenset(item.legacy_ids),
            )
        )
        if len(waiting) >= COMMIT_EVERY:
            write()
    write()
    return summary


def _payload(row: ManifestRow) -> dict[str, Any]:
    return {
        "file_path": row.file_path,
        "title": row.title,
        "legacy_doc_type": row.legacy_doc_type,
        "legacy_person_ids": list(row.legacy_person_ids),
        "document_date": row.document_date.isoformat()
        if isinstance(row.document_date, date)
        else "",
        "sha256": row.sha256 or "",
        "extra": row.extra,
        # What the row was loaded in spite of: kept in its ledger detail when it ends.
        "warnings": [str(w) for w in row.warnings],
    }


def register_manifest(
    session: Session,
    *,
    batch: str,
    manifest: Path,
    manifest_sha256: str,
    people: Path | None,
    mapping: Mapping,
    people_sha256: str = "",
    warnings: Counter[str] | None = None,
) -> Batch:
    """Create the batch (or find it) and write a ledger row for every manifest row not yet there.
    The caller hashes the manifest once (file_sha256) for this and the default batch name.
    `warnings` counts, by code, what this run's rows were loaded in spite of (a date that
    could not be read), for the load's summary."""
    record = session.get(Batch, batch)
    created = record is None
    if record is None:
        record = Batch(
            name=batch,
            manifest_path=str(manifest),
            manifest_sha256=manifest_sha256,
            people_path=str(people or ""),
            mapping_sha256=mapping.sha256,
            people_sha256=people_sha256,
            status="registering",
            started_at=utcnow(),
        )
        session.add(record)
        session.commit()
    _same_inputs(record, manifest_sha256, mapping.sha256, people_sha256)
    # Rows are registered in manifest order, so a killed registration resumes after the last.
    resume_after = ledger.last_registered_line(session, batch)
    pending: list[dict[str, Any]] = []

    def absent(notes: list[Note]) -> None:
        if warnings is not None:
            warnings.update(note.code for note in notes)

    try:
        for item in read_manifest(manifest, mapping, absent):
            if item.line_no <= resume_after:
                continue
            if warnings is not None and isinstance(item, ManifestRow):
                warnings.update(w.code for w in item.warnings)
            pending.append(_row_values(batch, item))
            if len(pending) >= COMMIT_EVERY:
                ledger.add_rows(session, pending)
                session.commit()
                pending = []
    except InvalidInput:
        # A manifest refused whole (its header, a quote never closed) is no batch: the one
        # made for it, and the rows it had, go, or `escr batches` lists it registering forever.
        session.rollback()
        if created:
            ledger.remove_registering_batch(session, batch)
            session.commit()
        raise
    ledger.add_rows(session, pending)
    ledger.mark_duplicates(session, batch)
    # Old links keyed now, so the first person to follow one after the load does not wait.
    legacy_links.key_new_rows(session)
    # Line numbers are file lines (a cell may span several): the rows are counted.
    record.rows_total = ledger.count_rows(session, batch)
    if record.status == "registering":
        record.status = "loading"
    session.commit()
    return record


def _same_inputs(record: Batch, manifest: str, mapping: str, people: str) -> None:
    """A batch is one set of inputs: its rows were registered from them, and a resumed run with
    others would mix two rounds under one name (a corrected mapping would change nothing)."""
    differ = [
        name
        for name, was, now in (
            ("manifest", record.manifest_sha256, manifest),
            ("mapping", record.mapping_sha256, mapping),
            ("people file", record.people_sha256, people),
        )
        if was and was != now
    ]
    if differ:
        raise InvalidInput(
            f"batch {record.name!r} was registered from another {' and '.join(differ)}; "
            "a corrected round is a new batch: give another --batch name, or none"
        )


def _row_values(batch: str, item: ManifestRow | BadRow) -> dict[str, Any]:
    """The ledger row for one manifest row (duplicates are marked after, in one statement)."""
    state, reason, detail = RowState.PENDING, None, ""
    payload: dict[str, Any] = {}
    legacy_url = None
    if isinstance(item, BadRow):
        state, reason = RowState.QUARANTINED, Reason.BAD_ROW
        detail = f"line {item.line_no}: {item.detail}"
    else:
        payload = _payload(item)
        legacy_url = item.legacy_url or None
        detail = "; ".join(str(w) for w in item.warnings)
    return {
        "batch": batch,
        "line_no": item.line_no,
        "source_system": item.source_system,
        "source_document_id": item.source_document_id,
        "state": state.value,
        "reason": reason.value if reason else None,
        "detail": detail,
        "change": "",
        "payload": payload,
        "updated_at": utcnow(),
        "legacy_url": legacy_url,
    }
