"""people.csv: the case records already migrated into the new system, and their legacy IDs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.errors import InvalidInput
from domain.nhs import nhs_number_valid
from domain.values import controls_in_cells, implausible_date, normalise_legacy_id, parse_date
from workers.sources.csvfile import Note, absent_listener, field_values, read_rows
from workers.sources.mapping import Mapping

# Fields that name something: no control character at all (the others are free text).
STRICT_FIELDS = (
    "person_id",
    "target_system",
    "legacy_ids",
    "date_of_birth",
    "date_of_death",
    "nhs_number",
)

# The longest value the catalog's columns take (catalog/models.py): PostgreSQL refuses more.
MAX_CHARS = {
    "person_id": 100,
    "target_system": 50,
    "given_name": 200,
    "family_name": 200,
    "service": 20,
}
MAX_LEGACY_ID_CHARS = 100  # each of SYSTEM and ID


@dataclass(frozen=True)
class PersonRow:
    line_no: int
    person_id: str
    target_system: str
    legacy_ids: tuple[tuple[str, str], ...]  # (SYSTEM, normalised id)
    given_name: str
    family_name: str
    date_of_birth: date | None
    date_of_death: date | None
    nhs_number: str  # empty unless valid
    service: str
    extra: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Note, ...] = ()


@dataclass(frozen=True)
class BadPerson:
    line_no: int  # the file line where the row starts (the header is line 1)
    detail: str
    code: str = "bad_row"


def read_people(
    path: Path, mapping: Mapping, on_absent: Callable[[list[Note]], None] | None = None
) -> Iterator[PersonRow | BadPerson]:
    """Stream people.csv; rows that cannot be read come back as BadPerson with the reason.
    `on_absent` as for read_manifest."""
    columns = mapping.people_columns
    known = set(columns.values())
    required = mapping.needed_columns("people_columns", ("person_id",))
    header = absent_listener(path, _expected_columns(mapping), on_absent)
    for line_no, cells in read_rows(path, mapping.encodings, required, header, columns.values()):
        if isinstance(cells, Note):
            yield BadPerson(line_no, cells.detail, cells.code)
        else:
            yield _parse_person(line_no, cells, mapping, known)


def _expected_columns(mapping: Mapping) -> dict[str, str]:
    """The columns whose absence is worth a warning: a full name only where the mapping names
    one, and then not the given and family names it stands for."""
    columns = dict(mapping.people_columns)
    if "people_columns.full_name" in mapping.explicit_columns:
        for name in ("given_name", "family_name"):
            if f"people_columns.{name}" not in mapping.explicit_columns:
                del columns[name]
    else:
        del columns["full_name"]
    return columns


def split_full_name(value: str) -> tuple[str, str]:
    """(given, family) from one name: "SURNAME, Forename Middle" at its first comma, else
    "Forename Middle Surname" at its last space (a single word is a family name)."""
    if "," in value:
        family, _, given = value.partition(",")
        return " ".join(given.split()), " ".join(family.split())
    words = value.split()
    return " ".join(words[:-1]), (words[-1] if words else "")


def check_unique_person_ids(path: Path, mapping: Mapping) -> None:
    """Refuse a people.csv that gives one person_id twice: which row is right is not ours to
    guess, and loading either would link documents to a record nobody checked."""
    for earlier, line_no, person_id in repeated_person_ids(path, mapping):
        raise InvalidInput(
            f"{path}: lines {earlier} and {line_no} both have person_id "
            f"{person_id!r}; correct the file, nothing was loaded"
        )


def repeated_person_ids(path: Path, mapping: Mapping) -> Iterator[tuple[int, int, str]]:
    """(first line, later line, person_id) for each row repeating an earlier row's person."""
    first_line: dict[str, int] = {}
    for item in read_people(path, mapping):
        if isinstance(item, BadPerson):
            continue
        earlier = first_line.setdefault(item.person_id, item.line_no)
        if earlier != item.line_no:
            yield earlier, item.line_no, item.person_id


def _parse_legacy_ids(
    value: str, separator: str, default_system: str = ""
) -> tuple[tuple[str, str], ...] | str:
    """The (SYSTEM, ID) pairs, or why not; an ID given alone is `default_system`'s (the
    mapping's legacy_id_system) where there is one."""
    pairs: list[tuple[str, str]] = []
    for item in (part.strip() for part in value.split(separator)):
        if not item:
            continue
        system, sep, legacy_id = item.partition(":")
        if not sep and default_system:
            system, sep, legacy_id = default_system, ":", item
        if not sep or not system.strip() or not legacy_id.strip():
            hint = (
                "" if sep else " (a mapping's legacy_id_system names the system of IDs given alone)"
            )
            return f"legacy_ids entry {item!r} is not SYSTEM:ID{hint}"
        if max(len(system.strip()), len(legacy_id.strip())) > MAX_LEGACY_ID_CHARS:
            return f"legacy_ids entry {item[:40]!r}... is longer than {MAX_LEGACY_ID_CHARS}"
        pairs.append((system.strip().upper(), normalise_legacy_id(legacy_id)))
    return tuple(pairs)


def _parse_person(
    line_no: int, cells: dict[str, str], mapping: Mapping, known: set[str]
) -> PersonRow | BadPerson:
    columns = mapping.people_columns

    cell = field_values(cells, columns).__getitem__

    controls = controls_in_cells(cells, {columns[name] for name in STRICT_FIELDS})
    if controls is not None:
        return BadPerson(line_no, controls, "control_character")
    given, family = cell("given_name"), cell("family_name")
    if not given and not family:
        given, family = split_full_name(cell("full_name"))
    values = {name: cell(name) for name in MAX_CHARS} | {"given_name": given, "family_name": family}
    for name, most in MAX_CHARS.items():
        if len(values[name]) > most:
            detail = f"{name} is {len(values[name])} characters, more than {most}"
            return BadPerson(line_no, detail, "too_long")
    if not cell("person_id"):
        return BadPerson(line_no, "person_id is empty", "missing_id")
    legacy_ids = _parse_legacy_ids(
        cell("legacy_ids"), mapping.person_id_separator, mapping.legacy_id_system
    )
    if isinstance(legacy_ids, str):
        return BadPerson(line_no, legacy_ids, "bad_legacy_ids")
    warnings: list[Note] = []
    if "," in family and not given:
        warnings.append(
            Note(
                "name_in_one_column",
                f"family_name {family!r} holds a comma and the row has no given name: if the "
                "column holds whole names, map it as full_name to split them",
            )
        )
    dates: dict[str, date | None] = {}
    for name in ("date_of_birth", "date_of_death"):
        try:
            dates[name] = parse_date(cell(name), mapping.date_formats, mapping.excel_serial_dates)
        except ValueError as exc:
            dates[name] = None
            warnings.append(Note("unreadable_date", f"{name}: {exc}; left empty"))
        day = dates[name]
        if day is not None and (why := implausible_date(day)):
            # A retention period counts from these: a placeholder made a record due at once.
            dates[name] = None
            warnings.append(Note("placeholder_date", f"{name} {cell(name)} {why}; left empty"))
    nhs = re.sub(r"[\s-]", "", cell("nhs_number"))  # as nhs_number_valid reads it
    if nhs and not nhs_number_valid(nhs):
        warnings.append(
            Note(
                "invalid_nhs_number",
                "nhs_number fails the modulus 11 check or is a placeholder; ignored",
            )
        )
        nhs = ""
    return PersonRow(
        line_no=line_no,
        person_id=cell("person_id"),
        target_system=cell("target_system"),
        legacy_ids=legacy_ids,
        given_name=given,
        family_name=family,
        date_of_birth=dates["date_of_birth"],
        date_of_death=dates["date_of_death"],
        nhs_number=nhs,
        service=cell("service").lower(),
        extra={k: v for k, v in cells.items() if k not in known},
        warnings=tuple(warnings),
    )
