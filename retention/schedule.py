"""The versioned retention schedule: the default YAML, a council's overrides, and rule locks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from core.errors import InvalidInput, PolicyViolation
from retention.periods import COUNTS, Count, period_end

DEFAULT_PATH = Path(__file__).with_name("default_schedule.yaml")
Kind = Literal["statutory", "guidance", "local"]
Action = Literal["destroy", "review", "transfer"]
_KINDS = ("statutory", "guidance", "local")
_ACTIONS = ("destroy", "review", "transfer")
_CONDITIONS = ("died_under_18", "dead", "foster_refused")
# Lengths are compared on one reference date, so "longer" means the same for every record.
_REFERENCE = date(2000, 2, 29)


@dataclass(frozen=True)
class Clock:
    """One way a period runs: from the latest known of `facts`, for `years`, counted by `count`."""

    facts: tuple[str, ...]
    years: int
    count: Count
    when: str = ""


@dataclass(frozen=True)
class Rule:
    """A record class: how long it is kept, why, and what happens at the end."""

    record_class: str
    title: str
    kind: Kind
    citation: str
    action: Action
    children: bool
    locked: bool
    clocks: tuple[Clock, ...]


@dataclass(frozen=True)
class Assignment:
    """A class that applies to a document on a person whose facts and doc type match."""

    record_class: str
    doc_types: tuple[str, ...]
    where: tuple[tuple[str, str | bool], ...]


@dataclass(frozen=True)
class Schedule:
    """A whole schedule; `version` names its sources and fingerprints its content."""

    version: str
    rules: dict[str, Rule]
    assignment: tuple[Assignment, ...]

    def rule(self, record_class: str) -> Rule:
        try:
            return self.rules[record_class]
        except KeyError:
            raise InvalidInput(f"no retention class {record_class!r} in the schedule") from None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rules": {k: asdict(v) for k, v in sorted(self.rules.items())},
            "assignment": [asdict(a) for a in self.assignment],
        }


def _clock(raw: dict[str, Any], where: str) -> Clock:
    facts = raw.get("facts") or ([raw["fact"]] if raw.get("fact") else [])
    count, when = raw.get("count", "after"), str(raw.get("when", ""))
    if not facts or count not in COUNTS or (when and when not in _CONDITIONS):
        raise InvalidInput(f"{where}: a clock needs facts, a count in {COUNTS} and a known when")
    years = int(raw["years"])
    if years <= 0:
        raise InvalidInput(f"{where}: years must be positive")
    return Clock(tuple(str(f) for f in facts), years, cast(Count, count), when)


def _rule(name: str, raw: dict[str, Any]) -> Rule:
    kind, action = raw.get("kind"), raw.get("action", "review")
    if kind not in _KINDS or action not in _ACTIONS or not raw.get("citation"):
        raise InvalidInput(f"class {name}: needs kind {_KINDS}, action {_ACTIONS} and a citation")
    clocks = tuple(_clock(c, f"class {name}") for c in raw.get("clocks") or ())
    return Rule(
        record_class=name,
        title=str(raw.get("title", name)),
        kind=cast(Kind, kind),
        citation=str(raw["citation"]),
        action=cast(Action, action),
        children=bool(raw.get("children", False)),
        locked=bool(raw.get("locked", False)),
        clocks=clocks,
    )


def _assignment(raw: dict[str, Any], classes: dict[str, Any]) -> Assignment:
    name = str(raw.get("class", ""))
    if name not in classes:
        raise InvalidInput(f"assignment names unknown class {name!r}")
    where = tuple(sorted((str(k), v) for k, v in (raw.get("where") or {}).items()))
    return Assignment(name, tuple(raw.get("doc_types") or ()), where)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read retention schedule {path}: {exc}") from exc
    if not isinstance(data, dict) or "name" not in data or "version" not in data:
        raise InvalidInput(f"{path}: a schedule needs a name, a version and classes")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """The council's file on top of ours: classes field by field, removals, extra assignments."""
    classes = {k: dict(v) for k, v in base.get("classes", {}).items()}
    for name, fields in (override.get("classes") or {}).items():
        classes[name] = {**classes.get(name, {}), **fields}
    for name in override.get("remove") or ():
        if classes.get(name, {}).get("locked"):
            raise PolicyViolation(f"class {name} is locked: it cannot be removed")
        classes.pop(name, None)
    assignment = [*base.get("assignment", []), *(override.get("assignment") or [])]
    assignment = [a for a in assignment if a.get("class") in classes]
    return {"classes": classes, "assignment": assignment}


def length(rule: Rule) -> list[date]:
    """Each clock's end for a reference start date, to compare two versions of a rule."""
    return [period_end(_REFERENCE, c.years, c.count) for c in rule.clocks]


def check_lock(old: Rule, new: Rule | None) -> None:
    """Refuse a change that shortens, removes or unlocks a locked rule."""
    if not old.locked:
        return
    where = f"class {old.record_class} is locked"
    if new is None:
        raise PolicyViolation(f"{where}: it cannot be removed")
    same_shape = [(c.facts, c.when) for c in old.clocks] == [(c.facts, c.when) for c in new.clocks]
    if not new.locked or not same_shape:
        raise PolicyViolation(f"{where}: its lock, triggers and conditions cannot change")
    if any(n < o for o, n in zip(length(old), length(new), strict=True)):
        raise PolicyViolation(f"{where}: it may be lengthened, never shortened")


def build(data: dict[str, Any], version: str) -> Schedule:
    """A Schedule from merged YAML data; the version ends with a fingerprint of the content."""
    rules = {name: _rule(name, raw) for name, raw in sorted(data["classes"].items())}
    assignment = tuple(_assignment(a, rules) for a in data.get("assignment", []))
    schedule = Schedule(version="", rules=rules, assignment=assignment)
    canonical = json.dumps(schedule.as_json(), sort_keys=True, default=str)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    return Schedule(f"{version}#{fingerprint}", rules, assignment)


def load_schedule(override: Path | None = None, base: Path = DEFAULT_PATH) -> Schedule:
    """Our schedule, with the council's override file merged on top where one is given."""
    data = _read(base)
    version = f"{data['name']}-v{data['version']}"
    base_schedule = build(data, version)
    if override is None or not override.is_file():
        return base_schedule
    extra = _read(override)
    merged = build(_merge(data, extra), f"{version}+{extra['name']}-v{extra['version']}")
    for name, rule in base_schedule.rules.items():
        check_lock(rule, merged.rules.get(name))
    return merged


def council_override_path(home: Path) -> Path:
    """Where a council keeps its own rules: ESCR_HOME/retention/schedule.yaml."""
    return home / "retention" / "schedule.yaml"
