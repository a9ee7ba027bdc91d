"""The archive manifest: one row per legacy document (docs/archive-format.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from domain.values import (
    control_character,
    controls_in_cells,
    implausible_date,
    parse_date,
    without_controls,
)
from workers.sources.csvfile import Note, absent_listener, field_values, read_rows
from workers.sources.mapping import Mapping

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

REQUIRED_FIELDS = ("source_system", "source_document_id", "file_path")

# The longest value the catalog's columns take (catalog/models.py): a longer one stopped the
# registration on PostgreSQL. A source document ID leaves room for the "#attachment-N" its
# attachments' IDs add, three levels deep (workers/attachments.py).
MAX_CHARS = {"source_system": 100, "source_document_id": 255, "legacy_doc_type": 300}
# The optional column of the old system's link to the document (an ESCR store's or the old
# CMS's URL), kept on the ledger row so the link keeps working after migration (issue 16).
# Named so in the file itself, not through the mapping: a column every export lacks would
# otherwise warn on every load.
LEGACY_URL_COLUMN = "legacy_url"
LEGACY_URL_MAX = 2000  # catalog.models.LedgerRow.legacy_url
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
    warnings: tuple[Note, ...] = ()
    legacy_url: str = ""


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be loaded; it is still accounted for in the ledger. `line_no` is the
    file line where the row starts (the header is line 1)."""

    line_no: int
    source_system: str
    source_document_id: str
    detail: str
    code: str = "bad_row"


def read_manifest(
    path: Path, mapping: Mapping, on_absent: Callable[[list[Note]], None] | None = None
) -> Iterator[ManifestRow | BadRow]:
    """Stream the manifest's rows, each readable or a BadRow saying why not. `on_absent` hears,
    once, of the optional fields whose columns the file lacks (absent_columns)."""
    columns = mapping.manifest_columns
    required = mapping.needed_columns("manifest_columns", REQUIRED_FIELDS)
    known = set(columns.values())
    strict = {columns[name] for name in STRICT_FIELDS}  # the file's, not each row's
    header = absent_listener(path, columns, on_absent)
    wanted = (*columns.values(), LEGACY_URL_COLUMN)
    for line_no, cells in read_rows(path, mapping.encodings, required, header, wanted):
        if isinstance(cells, Note):
            yield BadRow(line_no, "", "", cells.detail, cells.code)
            continue
        yield _parse_row(line_no, cells, mapping, known, strict)


def _parse_row(
    line_no: int, cells: dict[str, str], mapping: Mapping, known: set[str], strict: set[str]
) -> ManifestRow | BadRow:
    columns = mapping.manifest_columns

    cell = field_values(cells, columns).__getitem__

    system, doc_id = cell("source_system"), cell("source_document_id")

    def bad(code: str, detail: str) -> BadRow:
        # The ledger keeps the row's IDs as far as its columns hold them, controls escaped.
        return BadRow(
            line_no,
            without_controls(system)[: MAX_CHARS["source_system"]],
            without_controls(doc_id)[: MAX_CHARS["source_document_id"]],
            detail,
            code,
        )

    # One search of the whole row first: a row seldom holds a control character, and where
    # none is anywhere none is in a cell (a free-text cell's tab or line break sends the row
    # to the cell-by-cell rules, which allow it).
    if control_character("".join(cells.values())) is not None:
        controls = controls_in_cells(cells, strict)
        if controls is not None:
            return bad("control_character", controls)
    for name, most in MAX_CHARS.items():
        if len(cell(name)) > most:
            return bad("too_long", f"{name} is {len(cell(name))} characters, more than {most}")
    if not system or not doc_id:
        return bad("missing_id", "source_system and source_document_id are required")
    if not cell("file_path"):
        return bad("empty_path", "file_path is empty")
    legacy_url = cells.get(LEGACY_URL_COLUMN, "").strip()
    if control_character(legacy_url) is not None:
        return bad("control_character", "legacy_url holds a control character")
    if len(legacy_url) > LEGACY_URL_MAX:
        return bad(
            "too_long", f"legacy_url is {len(legacy_url)} characters, more than {LEGACY_URL_MAX}"
        )
    sha = cell("sha256").lower() or None
    if sha is not None and not _SHA256.fullmatch(sha):
        return bad("bad_sha256", f"sha256 {sha!r} is not a SHA-256 hex digest")
    warnings: list[Note] = []
    try:
        doc_date = parse_date(
            cell("document_date"), mapping.date_formats, mapping.excel_serial_dates
        )
    except ValueError as exc:
        doc_date = None
        warnings.append(
            Note(
                "unreadable_date", f"document_date: {exc}; the manifest gives the document no date"
            )
        )
    if doc_date is not None and (why := implausible_date(doc_date)):
        warnings.append(
            Note(
                "placeholder_date",
                f"document_date {cell('document_date')} {why}; the manifest gives the document "
                "no date",
            )
        )
        doc_date = None
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
        extra={k: v for k, v in cells.items() if k not in known and k != LEGACY_URL_COLUMN},
        warnings=tuple(warnings),
        legacy_url=legacy_url,
    )
