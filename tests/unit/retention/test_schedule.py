"""Schedules: versions, council overrides and locks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.errors import PolicyViolation
from retention.rules import register
from retention.schedule import load_schedule

EXPECTED = {
    "looked_after_child",
    "looked_after_child_scotland",
    "adoption",
    "childrens_home",
    "foster_carer",
    "care_leaver",
    "child_protection",
    "child_in_need",
    "lado",
    "adult_social_care",
    "mental_health",
    "complaints",
    "sar_copy",
}


def _override(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text("name: council\nversion: 2\n" + body, encoding="utf-8")
    return path


def test_default_schedule_has_every_class_with_a_citation() -> None:
    schedule = load_schedule()
    assert set(schedule.rules) == EXPECTED
    assert all(rule.citation and rule.kind for rule in schedule.rules.values())


def test_lengthening_a_locked_rule_is_allowed_and_makes_a_new_version(tmp_path: Path) -> None:
    body = """classes:
  adoption:
    clocks: [{facts: [adoption_order_date], years: 110, count: after}]
"""
    schedule = load_schedule(_override(tmp_path, body))
    assert schedule.rules["adoption"].clocks[0].years == 110
    assert schedule.version.startswith("escr-default-v1+council-v2#")
    assert schedule.version != load_schedule().version


def test_shortening_or_removing_a_locked_rule_is_refused(tmp_path: Path) -> None:
    short = """classes:
  adoption:
    clocks: [{facts: [adoption_order_date], years: 50, count: after}]
"""
    with pytest.raises(PolicyViolation, match="never shortened"):
        load_schedule(_override(tmp_path, short))
    with pytest.raises(PolicyViolation, match="cannot be removed"):
        load_schedule(_override(tmp_path, "remove: [looked_after_child]\n"))


def test_an_unlocked_rule_may_be_shortened(tmp_path: Path) -> None:
    body = """classes:
  adult_social_care:
    clocks: [{facts: [case_closure_date], years: 6, count: after}]
"""
    assert load_schedule(_override(tmp_path, body)).rules["adult_social_care"].clocks[0].years == 6


def test_history_refuses_a_version_that_weakens_a_recorded_lock(
    session: Session, tmp_path: Path
) -> None:
    longer = """classes:
  adoption:
    clocks: [{facts: [adoption_order_date], years: 120, count: after}]
"""
    register(session, load_schedule(_override(tmp_path, longer)), actor="ig")
    # Going back to the default (100 years) would shorten what was recorded.
    with pytest.raises(PolicyViolation, match="never shortened"):
        register(session, load_schedule(), actor="ig")
