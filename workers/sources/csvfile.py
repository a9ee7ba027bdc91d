"""Reading legacy CSV exports: encoding by byte-order mark or trial, header checked up front."""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

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


# Byte-order marks and the codec that reads past them; UTF-32's first, as UTF-16 LE's is a prefix
# of UTF-32 LE's. Excel's "Unicode text" export is UTF-16 with its mark.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Cell separators an export may use, in order of preference when the header holds as many of
# each: a comma, a semicolon (Excel's "CSV" where the decimal mark is a comma), a tab (Excel's
# "Unicode text"), a pipe.
DELIMITERS = (",", ";", "\t", "|")


def detect_encoding(path: Path, encodings: tuple[str, ...]) -> str:
    """The first of `encodings` that decodes the whole file; a byte-order mark (UTF-8, UTF-16,
    UTF-32) always wins. Where UTF-8 fails on a file that a one-byte coding reads but that holds
    UTF-8 sequences too (rows of two editors or two exports in one file), "utf-8+<that coding>":
    each character read as UTF-8 where it is UTF-8, else in the one-byte coding (open_text)."""
    with path.open("rb") as handle:
        start = handle.read(4)
    for bom, codec in _BOMS:
        if start.startswith(bom):
            return codec
    utf8_failed = False
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_failed = utf8_failed or codecs.lookup(encoding).name == "utf-8"
            continue
        if utf8_failed and codecs.lookup(encoding).name in _ONE_BYTE and _holds_utf8(path):
            return f"utf-8+{encoding}"
        return encoding
    raise InvalidInput(f"{path}: not readable in any of {', '.join(encodings)}")


# One-byte codings a file mixing in UTF-8 rows is read with, a character at a time.
_ONE_BYTE = frozenset({"cp1252", "iso8859-1", "iso8859-15"})
# A UTF-8 sequence of two to four bytes: in a one-byte coding, an accented capital followed by
# punctuation or symbols ("Ã©"), which text seldom writes.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _holds_utf8(path: Path) -> bool:
    with path.open("rb") as handle:
        return any(_UTF8_SEQUENCE.search(chunk) for chunk in iter(lambda: handle.read(_CHUNK), b""))


def open_text(path: Path, encoding: str) -> TextIO:
    """The file as text in `encoding`, as detect_encoding names it (a mixed "utf-8+cp1252"
    included), for the csv reader (newline="")."""
    primary, _, fallback = encoding.partition("+")
    if not fallback:
        return path.open("r", encoding=encoding, newline="")
    errors = f"escr-{fallback}"
    try:
        codecs.lookup_error(errors)
    except LookupError:
        codecs.register_error(errors, _one_byte_fallback(fallback))
    return path.open("r", encoding=primary, errors=errors, newline="")


def _one_byte_fallback(encoding: str) -> Callable[[UnicodeError], tuple[str, int]]:
    def handler(exc: UnicodeError) -> tuple[str, int]:
        if not isinstance(exc, UnicodeDecodeError):
            raise exc
        return exc.object[exc.start : exc.end].decode(encoding), exc.end

    return handler


# What database exports and spreadsheets write in a cell that holds nothing. Both are four
# characters, and no character's upper case is two that either holds, so only a cell of four
# characters needs upper-casing to be compared.
_NO_VALUE = frozenset({"NULL", "#N/A"})


def field_values(cells: dict[str, str], columns: dict[str, str]) -> dict[str, str]:
    """Contract field -> its cell, trimmed; a NULL or #N/A is empty (a database's or a
    spreadsheet's "no value", never a title, an ID or a date)."""
    values: dict[str, str] = {}
    for name, column in columns.items():
        value = cells.get(column, "").strip()
        values[name] = "" if len(value) == 4 and value.upper() in _NO_VALUE else value
    return values


def read_rows(
    path: Path,
    encodings: tuple[str, ...],
    required: dict[str, str],
    on_header: Callable[[list[str]], None] | None = None,
    columns: Collection[str] = (),
) -> Iterator[tuple[int, dict[str, str] | Note]]:
    """Yield (file line number, row) for each data row, streaming.

    A row's number is the line of the file where it starts, as an editor shows it: the header
    is line 1, and a quoted cell holding a line break makes the next row start further down.
    `required` maps contract field -> column name; a header missing one of them raises
    InvalidInput before any row is read. A row with the wrong number of cells, or a blank row
    between rows, is yielded as a Note instead of a dict, so the caller can account
    for it. Blank rows after the last row end the file. `on_header` sees the header once
    it has passed the check. A header cell naming one of `columns` (the mapping's) in another
    case is read as that column, where no cell names it exactly and no other cell matches.
    """
    with open_rows(path, encodings) as (header, rows):
        header = aligned_header(header, [*required.values(), *columns])
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
            yield line_no, _cells_by_column(header, cells)


def aligned_header(header: list[str], columns: Collection[str]) -> list[str]:
    """The header with each cell that names a wanted column in another case ("SOURCE_SYSTEM",
    "Document_Date") renamed to it; a column named exactly, or matched by two cells, is left."""
    aligned = list(header)
    for column in set(columns) - set(header):
        matches = [i for i, name in enumerate(header) if name.casefold() == column.casefold()]
        if len(matches) == 1:
            aligned[matches[0]] = column
    return aligned


def _cells_by_column(header: list[str], cells: list[str]) -> dict[str, str]:
    """Column name -> cell. A column without a name (the empty cells a spreadsheet's trailing
    delimiters add) is left out where its cell is empty, else kept as "column N"."""
    if "" not in header and '="' not in "".join(cells):  # the common row, at C speed
        return dict(zip(header, cells, strict=True))
    row: dict[str, str] = {}
    for number, (name, written) in enumerate(zip(header, cells, strict=True), start=1):
        # ="00123": how report writers keep Excel from dropping leading zeros; the value inside.
        forced = _TEXT_FORMULA.fullmatch(written) if written[:1] in "= " else None
        cell = forced.group(1).replace('""', '"') if forced else written
        if name:
            row[name] = cell
        elif cell.strip():
            row[f"column {number}"] = cell
    return row


@contextmanager
def open_rows(
    path: Path, encodings: tuple[str, ...]
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """The header (stripped) and the data rows, each with the file line it starts on."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    encoding = detect_encoding(path, encodings)
    with open_text(path, encoding) as handle:
        first = handle.readline()
        # Exports meant for Excel may start "sep=;": the delimiter, on a line of its own.
        directive = _SEP_LINE.fullmatch(first)
        delimiter = directive.group(1) if directive else header_delimiter(first)
    with open_text(path, encoding) as handle:
        skipped = 1 if directive else 0
        if skipped:
            handle.readline()
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InvalidInput(f"{path}: empty file, expected a header row") from None
        except csv.Error as exc:
            raise InvalidInput(
                f"{path} line {1 + skipped}: the header cannot be read: {exc}"
            ) from None

        def tail(line_no: int) -> list[str]:
            with open_text(path, encoding) as again:
                return list(itertools.islice(again, line_no - 1, None))

        yield header, _numbered(reader, tail, path.name, skipped)


_TEXT_FORMULA = re.compile(r'\s*="((?:[^"]|"")*)"\s*', re.DOTALL)
_SEP_LINE = re.compile(r"sep=([^\r\n])\r?\n?")


def header_delimiter(line: str) -> str:
    """The separator the header line uses most outside quotes (a comma where it uses none):
    column names seldom hold one, while a title cell may hold any."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # the first of the most used
    return best if counts[best] else ","


def _numbered(
    reader: Any, tail: Callable[[int], list[str]], name: str, skipped: int = 0
) -> Iterator[tuple[int, list[str]]]:
    """Each row with the line it starts on. A quote never closed made the last row's cell run
    to the end of the file, taking the rows after it as its text: the file is refused, naming
    the line, as for a csv error (a cell past the csv module's limit). `tail(n)` gives the
    file's lines from line n, read again only where the last row spans several."""
    # reader.line_num is the line a row ended on; the next row starts on the line after.
    # `skipped`: lines before the header the reader never saw (a "sep=" line).
    ended = reader.line_num + skipped
    start = ended + 1
    try:
        for cells in reader:
            start = ended + 1
            yield start, cells
            ended = reader.line_num + skipped
    except csv.Error as exc:
        where = f"{name} line {ended + 1}"
        if "field limit" in str(exc):
            raise InvalidInput(
                f"{where}: a cell is longer than {csv.field_size_limit()} characters "
                "(a quote opened on this row and never closed?); correct the file"
            ) from None
        raise InvalidInput(f"{where}: {exc}; correct the file") from None
    if ended > start and _unclosed(tail(start), reader.dialect.delimiter):
        raise InvalidInput(
            f"{name} line {start}: a quote opened on this row is never closed, so the "
            f"{ended - start} line(s) after it would be one cell; correct the file"
        )


def _unclosed(raw: list[str], delimiter: str) -> bool:
    """Does this row's text end inside a quoted cell?"""
    try:
        list(csv.reader(raw, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


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
    first: dict[str, int] = {}
    for number, column in enumerate(header, start=1):
        where = control_character(column)
        if where is not None:
            return f"{path}: header column {number} holds control character {where}"
        earlier = first.setdefault(column, number)
        if column and earlier != number:
            # Which column holds the values is not ours to guess; one of them was lost before.
            return (
                f"{path}: header names {column!r} twice: columns {earlier} and {number}; "
                "rename one in the file"
            )
    return None
