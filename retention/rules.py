"""The schedule in force: loaded from our YAML and the council's file, and recorded per version.

Every version used is stored, and a new version is checked against the last one recorded, so a
locked rule cannot be shortened or removed by editing either file between runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models_retention import RetentionSchedule
from core.clock import utcnow
from retention.evaluate import Evaluator
from retention.periods import Count
from retention.schedule import (
    Clock,
    Rule,
    Schedule,
    check_lock,
    council_override_path,
    load_schedule,
)


def _rule_from_json(raw: dict[str, Any]) -> Rule:
    clocks = tuple(
        Clock(tuple(c["facts"]), int(c["years"]), cast(Count, c["count"]), str(c["when"]))
        for c in raw["clocks"]
    )
    return Rule(**{**raw, "clocks": clocks})


def recorded_rules(body: dict[str, Any]) -> dict[str, Rule]:
    """The rules of a stored schedule version."""
    return {name: _rule_from_json(raw) for name, raw in body["rules"].items()}


def _checked(session: Session, schedule: Schedule) -> RetentionSchedule | None:
    """The last recorded version, once the schedule is checked not to weaken its locked rules."""
    latest = session.scalar(
        select(RetentionSchedule)
        .order_by(RetentionSchedule.recorded_at.desc(), RetentionSchedule.version.desc())
        .limit(1)
    )
    if latest is not None:
        for name, rule in recorded_rules(latest.body).items():
            check_lock(rule, schedule.rules.get(name))
    return latest


def register(session: Session, schedule: Schedule, *, actor: str) -> None:
    """Record a new schedule version, refusing one that weakens a locked rule."""
    if session.get(RetentionSchedule, schedule.version) is not None:
        return
    latest = _checked(session, schedule)
    body = schedule.as_json()
    session.add(RetentionSchedule(version=schedule.version, body=body, recorded_at=utcnow()))
    audit.record(
        session,
        actor=actor,
        action="retention_rules",
        target_type="schedule",
        target_id=schedule.version,
        detail={"previous": latest.version if latest is not None else ""},
    )
    session.flush()


def current_evaluator(session: Session, home: Path, *, actor: str) -> Evaluator:
    """An evaluator for the schedule in force (ours plus the council's override file)."""
    schedule = load_schedule(council_override_path(home))
    register(session, schedule, actor=actor)
    return Evaluator(schedule)


def reading_evaluator(session: Session, home: Path) -> Evaluator:
    """The schedule in force, checked like current_evaluator's but not recorded: for reports
    (a forecast) that must write nothing."""
    schedule = load_schedule(council_override_path(home))
    _checked(session, schedule)
    return Evaluator(schedule)
