"""The YAML mapping that absorbs a legacy export's quirks without anyone editing the export."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidInput
from domain.values import control_character
from domain.vocabulary import is_doc_type

DEFAULT_MAPPING_PATH = Path(__file__).with_name("default_mapping.yaml")

MANIFEST_FIELDS = (
    "source_system",
    "source_document_id",
    "legacy_person_id",
    "file_path",
    "title",
    "legacy_doc_type",
    "document_date",
    "sha256",
)
PEOPLE_FIELDS = (
    "person_id",
    "target_system",
    "legacy_ids",
    "given_name",
    "family_name",
    "date_of_birth",
    "date_of_death",
    "nhs_number",
    "service",
)
# One name column ("SURNAME, Forename" or "Forename Surname"), split where the export has no
# given_name and family_name: a column only a mapping names, never expected or written.
PEOPLE_MAPPED_FIELDS = (*PEOPLE_FIELDS, "full_name")


@dataclass(frozen=True)
class Mapping:
    manifest_columns: dict[str, str]
    people_columns: dict[str, str]
    encodings: tuple[str, ...]
    date_formats: tuple[str, ...]
    excel_serial_dates: bool
    person_id_separator: str
    strip_path_prefixes: tuple[str, ...]
    case_insensitive_paths: bool
    legacy_id_system: str
    legacy_types: dict[str, str]
    keywords: dict[str, tuple[str, ...]]
    sha256: str = field(default="")
    # "manifest_columns.document_date" etc.: the columns the council's own file names. Such a
    # column missing from the export is a mistake to report; a default one may be absent.
    explicit_columns: frozenset[str] = field(default=frozenset())

    def needed_columns(self, section: str, required: Sequence[str]) -> dict[str, str]:
        """Contract field -> column for the fields a file of `section` must have: the required
        ones and those the council's mapping names."""
        columns: dict[str, str] = getattr(self, section)
        return {
            name: column
            for name, column in columns.items()
            if name in required or f"{section}.{name}" in self.explicit_columns
        }

    def doc_type_for_code(self, code: str) -> str | None:
        """The taxonomy code a legacy type code maps to, or None for free text / unmapped."""
        return self.legacy_types.get(code.strip().upper())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_mapping(path: Path | None = None) -> Mapping:
    """The default mapping, overlaid with the council's file where one is given.

    Raises InvalidInput naming the file and line of every problem found: a YAML error, a key
    the mapping does not know (with the nearest known one), a value of the wrong shape."""
    raw = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    digest = hashlib.sha256(DEFAULT_MAPPING_PATH.read_bytes())
    explicit: frozenset[str] = frozenset()
    if path is not None:
        text = _read_text(path)
        override = _parse_yaml(path, text)
        problems = mapping_key_problems(raw, override, text)
        if problems:
            raise InvalidInput("\n".join(f"mapping {path} {problem}" for problem in problems))
        raw = _merge(raw, override)
        explicit = frozenset(
            f"{section}.{name}"
            for section in ("manifest_columns", "people_columns")
            for name in override.get(section) or {}
        )
        digest.update(text.encode("utf-8"))
    return replace(_validated(raw, digest.hexdigest()), explicit_columns=explicit)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read mapping {path}: {exc}") from exc


def _parse_yaml(path: Path, text: str) -> dict[str, Any]:
    """The file's top-level mapping; a YAML error names its line, not a parser traceback."""
    try:
        override = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"mapping {path} {where}not valid YAML: {problem}") from exc
    if not isinstance(override, dict):
        raise InvalidInput(f"mapping {path} must be a YAML mapping at the top level")
    return override


# Sections whose keys are the contract's fields; the other sections' keys are open (legacy
# type codes, taxonomy codes) and are checked against the taxonomy instead.
_FIELD_SECTIONS = {"manifest_columns": MANIFEST_FIELDS, "people_columns": PEOPLE_MAPPED_FIELDS}


def mapping_key_problems(default: dict[str, Any], override: dict[str, Any], text: str) -> list[str]:
    """Every key of the council's mapping that the default does not know, or a section that is
    not a mapping, as "line N: ..." (a misspelt key was silently ignored before)."""
    lines = _key_lines(text)
    problems: list[str] = []

    def unknown(key: str, known: Sequence[str], where: tuple[str, ...]) -> None:
        near = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else f"; known: {', '.join(known)}"
        line = lines.get((*where, key))
        prefix = f"line {line}: " if line else ""
        problems.append(f"{prefix}unknown key {'.'.join((*where, key))!r}{hint}")

    for key, value in override.items():
        if str(key) not in default:
            unknown(str(key), list(default), ())
            continue
        if isinstance(default[key], dict) and not isinstance(value, dict):
            line = lines.get((str(key),))
            problems.append(f"{f'line {line}: ' if line else ''}{key} must be a mapping")
            continue
        fields = _FIELD_SECTIONS.get(str(key))
        if fields is not None:
            for name in value:
                if str(name) not in fields:
                    unknown(str(name), fields, (str(key),))
    return problems


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The file line of each key of the top two levels, for messages."""
    lines: dict[tuple[str, ...], int] = {}
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        lines[(str(key.value),)] = key.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            for inner, _ in value.value:
                lines[(str(key.value), str(inner.value))] = inner.start_mark.line + 1
    return lines


def _check_controls(value: Any, where: str = "mapping") -> None:
    """No control character in any name or value: they become column names and path prefixes
    (YAML's "\\0" escape writes a NUL the file itself may not hold)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_controls(key, where)
            _check_controls(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            _check_controls(item, where)
    elif isinstance(value, str) and (found := control_character(value)) is not None:
        raise InvalidInput(f"{where} holds control character {found}")


def _validated(raw: dict[str, Any], digest: str) -> Mapping:
    _check_controls(raw)
    legacy_types = {str(k).strip().upper(): str(v) for k, v in raw["legacy_types"].items()}
    keywords = {str(k): tuple(str(p).lower() for p in v) for k, v in raw["keywords"].items()}
    unknown = sorted(
        {v for v in legacy_types.values() if not is_doc_type(v)}
        | {k for k in keywords if not is_doc_type(k)}
    )
    if unknown:
        raise InvalidInput(f"mapping names unknown document types: {', '.join(unknown)}")
    return Mapping(
        manifest_columns={k: raw["manifest_columns"].get(k, k) for k in MANIFEST_FIELDS},
        people_columns={k: raw["people_columns"].get(k, k) for k in PEOPLE_MAPPED_FIELDS},
        encodings=tuple(raw["encodings"]),
        date_formats=tuple(raw["date_formats"]),
        excel_serial_dates=bool(raw["excel_serial_dates"]),
        person_id_separator=str(raw["person_id_separator"]),
        strip_path_prefixes=tuple(raw.get("strip_path_prefixes") or ()),
        case_insensitive_paths=bool(raw["case_insensitive_paths"]),
        legacy_id_system=str(raw.get("legacy_id_system") or ""),
        legacy_types=legacy_types,
        keywords=keywords,
        sha256=digest,
    )
