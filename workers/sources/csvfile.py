"""Reading legacy CSV exports: encoding by byte-order mark or trial, header checked up front."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from core.errors import InvalidInput
from workers.sources.values import control_character

_CHUNK = 1 << 20


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
    path: Path, encodings: tuple[str, ...], required: dict[str, str]
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Yield (data line number, row) for each data row, streaming.

    `required` maps contract field -> column name; a header missing one of them raises
    InvalidInput before any row is read. A row with the wrong number of cells, or a blank row
    between rows, is yielded as an error string instead of a dict, so the caller can account
    for it (its line number is counted). Blank rows after the last row end the file.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    encoding = detect_encoding(path, encodings)
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InvalidInput(f"{path}: empty file, expected a header row") from None
        _check_header(path, header, required)
        blank: list[int] = []
        for line_no, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                blank.append(line_no)
                continue
            yield from ((number, "blank row") for number in blank)
            blank = []
            if len(cells) != len(header):
                yield line_no, f"expected {len(header)} cells, found {len(cells)}"
                continue
            yield line_no, dict(zip(header, cells, strict=True))


def _check_header(path: Path, header: list[str], required: dict[str, str]) -> None:
    missing = [column for column in required.values() if column not in header]
    if missing:
        raise InvalidInput(f"{path}: header lacks column(s) {', '.join(missing)}")
    for number, column in enumerate(header, start=1):
        where = control_character(column)
        if where is not None:
            raise InvalidInput(f"{path}: header column {number} holds control character {where}")
