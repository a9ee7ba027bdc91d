"""The YAML mapping that absorbs a legacy export's quirks without anyone editing the export."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidInput
from workers.sources.values import control_character
from workers.taxonomy import is_doc_type

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
    """The default mapping, overlaid with the council's file where one is given."""
    raw = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    digest = hashlib.sha256(DEFAULT_MAPPING_PATH.read_bytes())
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
            override = yaml.safe_load(text) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(f"cannot read mapping {path}: {exc}") from exc
        if not isinstance(override, dict):
            raise InvalidInput(f"mapping {path} must be a YAML mapping at the top level")
        raw = _merge(raw, override)
        digest.update(text.encode("utf-8"))
    return _validated(raw, digest.hexdigest())


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
        people_columns={k: raw["people_columns"].get(k, k) for k in PEOPLE_FIELDS},
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
