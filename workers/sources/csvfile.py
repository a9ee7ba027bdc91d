"""Reading legacy CSV exports: encoding by byte-order mark or trial, header checked up front."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InvalidInput
from domain.values import control_character, without_controls

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Note:
    """Something wrong with a row: a code to count it by (the load's summary, `escr load
    --check`) and the detail a person reads."""

    code: str
    detail: str

    def __str__(self) -> str:
        return self.detail


def detect_encoding(path: Path, encodings: tuple[str, ...]) -> str:
    """The first of `encodings` that decodes the whole file; a UTF-8 BOM always wins."""
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{path}: not readable in any of {', '.join(encodings)}")


def read_rows(
    path: Path,
    encodings: tuple[str, ...],
    required: dict[str, str],
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[int, dict[str, str] | Note]]:
    """Yield (file line number, row) for each data row, streaming.

    A row's number is the line of the file where it starts, as an editor shows it: the header
    is line 1, and a quoted cell holding a line break makes the next row start further down.
    `required` maps contract field -> column name; a header missing one of them raises
    InvalidInput before any row is read. A row with the wrong number of cells, or a blank row
    between rows, is yielded as a Note instead of a dict, so the caller can account
    for it. Blank rows after the last row end the file. `on_header` sees the header once
    it has passed the check.
    """
    with open_rows(path, encodings) as (header, rows):
        _check_header(path, header, required)
        if on_header is not None:
            on_header(header)
        blank: list[int] = []
        for line_no, cells in rows:
            if not any(cell.strip() for cell in cells):
                blank.append(line_no)
                continue
            yield from ((number, Note("blank_row", "blank row")) for number in blank)
            blank = []
            if len(cells) != len(header):
                yield (
                    line_no,
                    Note("wrong_cell_count", f"expected {len(header)} cells, found {len(cells)}"),
                )
                continue
            yield line_no, dict(zip(header, cells, strict=True))


@contextmanager
def open_rows(
    path: Path, encodings: tuple[str, ...]
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """The header (stripped) and the data rows, each with the file line it starts on."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    encoding = detect_encoding(path, encodings)
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InvalidInput(f"{path}: empty file, expected a header row") from None
        yield header, _numbered(reader)


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    # reader.line_num is the line a row ended on; the next row starts on the line after.
    ended = reader.line_num
    for cells in reader:
        yield ended + 1, cells
        ended = reader.line_num


def _check_header(path: Path, header: list[str], required: dict[str, str]) -> None:
    problem = header_problem(path, header, required)
    if problem is not None:
        raise InvalidInput(problem)


def absent_columns(path: Path, header: list[str], columns: dict[str, str]) -> list[Note]:
    """A warning for each field whose column is not in the header: every row loads without
    it (a default name the export does not use, where a mapping would name the right one)."""
    found = ", ".join(without_controls(h) for h in header)
    return [
        Note(
            "absent_column",
            f"{path.name} has no column {column!r} for {name}: every row loads without it. "
            f"Its columns are: {found}. Name the column in a mapping file (--mapping)",
        )
        for name, column in columns.items()
        if column not in header
    ]


def absent_listener(
    path: Path, columns: dict[str, str], on_absent: Callable[[list[Note]], None] | None
) -> Callable[[list[str]], None] | None:
    """read_rows' on_header for a reader that reports absent columns to `on_absent`."""
    if on_absent is None:
        return None
    listener = on_absent
    return lambda header: listener(absent_columns(path, header, columns))


def header_problem(path: Path, header: list[str], required: dict[str, str]) -> str | None:
    """Why this header cannot be read with the mapping, or None: a column the mapping needs is
    missing (named with the headers that are there), or a column name holds a control
    character."""
    missing = [
        f"{column} (for {name})" for name, column in required.items() if column not in header
    ]
    if missing:
        found = ", ".join(without_controls(h) for h in header)
        return (
            f"{path}: header lacks column(s) {', '.join(missing)}; its columns are: {found}. "
            "Name this export's columns in a mapping file (escr load --mapping FILE)"
        )
    for number, column in enumerate(header, start=1):
        where = control_character(column)
        if where is not None:
            return f"{path}: header column {number} holds control character {where}"
    return None
