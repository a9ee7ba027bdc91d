"""The archive manifest: one row per legacy document (docs/archive-format.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from workers.sources.csvfile import read_rows
from workers.sources.mapping import Mapping
from workers.sources.values import controls_in_cells, parse_date, without_controls

# Fields that name something (an ID, a path, a date, a digest): no control character at all.
# The others are free text, which may hold a tab or a line break (docs/archive-format.md).
STRICT_FIELDS = (
    "source_system",
    "source_document_id",
    "legacy_person_id",
    "file_path",
    "document_date",
    "sha256",
)

# The longest value the catalog's columns take (catalog/models.py): a longer one stopped the
# registration on PostgreSQL. A source document ID leaves room for the "#attachment-N" its
# attachments' IDs add, three levels deep (workers/attachments.py).
MAX_CHARS = {"source_system": 100, "source_document_id": 255, "legacy_doc_type": 300}


@dataclass(frozen=True)
class ManifestRow:
    line_no: int
    source_system: str
    source_document_id: str
    legacy_person_ids: tuple[str, ...]
    file_path: str
    title: str
    legacy_doc_type: str
    document_date: date | None
    sha256: str | None
    extra: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be loaded; it is still accounted for in the ledger."""

    line_no: int
    source_system: str
    source_document_id: str
    detail: str


def read_manifest(path: Path, mapping: Mapping) -> Iterator[ManifestRow | BadRow]:
    """Stream the manifest's rows, each readable or a BadRow saying why not."""
    columns = mapping.manifest_columns
    required = {k: columns[k] for k in ("source_system", "source_document_id", "file_path")}
    known = set(columns.values())
    for line_no, cells in read_rows(path, mapping.encodings, required):
        if isinstance(cells, str):
            yield BadRow(line_no, "", "", cells)
            continue
        yield _parse_row(line_no, cells, mapping, known)


def _parse_row(
    line_no: int, cells: dict[str, str], mapping: Mapping, known: set[str]
) -> ManifestRow | BadRow:
    columns = mapping.manifest_columns

    def cell(name: str) -> str:
        return cells.get(columns[name], "").strip()

    system, doc_id = cell("source_system"), cell("source_document_id")

    def bad(detail: str) -> BadRow:
        # The ledger keeps the row's IDs as far as its columns hold them, controls escaped.
        return BadRow(
            line_no,
            without_controls(system)[: MAX_CHARS["source_system"]],
            without_controls(doc_id)[: MAX_CHARS["source_document_id"]],
            detail,
        )

    controls = controls_in_cells(cells, {columns[name] for name in STRICT_FIELDS})
    if controls is not None:
        return bad(controls)
    for name, most in MAX_CHARS.items():
        if len(cell(name)) > most:
            return bad(f"{name} is {len(cell(name))} characters, more than {most}")
    if not system or not doc_id:
        return bad("source_system and source_document_id are required")
    if not cell("file_path"):
        return bad("file_path is empty")
    sha = cell("sha256").lower() or None
    if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        return bad(f"sha256 {sha!r} is not a SHA-256 hex digest")
    warnings: list[str] = []
    try:
        doc_date = parse_date(
            cell("document_date"), mapping.date_formats, mapping.excel_serial_dates
        )
    except ValueError as exc:
        doc_date = None
        warnings.append(f"document_date: {exc}")
    person_ids = tuple(
        p.strip() for p in cell("legacy_person_id").split(mapping.person_id_separator) if p.strip()
    )
    return ManifestRow(
        line_no=line_no,
        source_system=system,
        source_document_id=doc_id,
        legacy_person_ids=person_ids,
        file_path=cell("file_path"),
        title=cell("title"),
        legacy_doc_type=cell("legacy_doc_type"),
        document_date=doc_date,
        sha256=sha,
        extra={k: v for k, v in cells.items() if k not in known},
        warnings=tuple(warnings),
    )
