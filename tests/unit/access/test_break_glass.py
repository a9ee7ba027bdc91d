"""Break-glass: a reason, an expiry, and an alert in "who looked at this person's record"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from catalog.models_access import BreakGlass
from tests.unit.access.conftest import World


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def test_break_glass_needs_a_reason_of_substance(world: World) -> None:
    for reason in ("", "urgent"):
        answer = world.client.post(
            "/api/people/MOS2/break-glass", json={"reason": reason}, headers=_alice(world)
        )
        assert answer.status_code == 422
    too_long = world.client.post(
        "/api/people/MOS2/break-glass",
        json={"reason": "out of hours duty call about Ben", "minutes": 100_000},
        headers=_alice(world),
    )
    assert too_long.status_code == 422
    assert world.client.get("/api/people/MOS2/documents", headers=_alice(world)).status_code == 404


def test_break_glass_opens_the_record_until_it_expires_and_is_reported(world: World) -> None:
    reason = "Out of hours: police call about Ben, duty social worker"
    opened = world.client.post(
        "/api/people/MOS2/break-glass",
        json={"reason": reason, "minutes": 30},
        headers=_alice(world),
    )
    assert opened.status_code == 200
    chronology = world.client.get("/api/people/MOS2/documents", headers=_alice(world))
    assert chronology.status_code == 200 and len(chronology.json()["documents"]) == 1
    found = world.client.get("/api/search", params={"q": "respite"}, headers=_alice(world)).json()
    assert found["total"] == 1

    ig = world.issuer.headers("ig1", ["ig_officer"])
    report = world.client.get("/api/audit/people/MOS2", headers=ig).json()
    glass = [e for e in report if e["action"] == "break_glass"]
    assert glass and glass[0]["actor"] == "alice" and glass[0]["why"] == reason
    read = [e for e in report if e["action"] == "view_chronology"]
    assert read and read[0]["why"] == f"break-glass: {reason}"

    with world.session() as session:  # an hour later
        session.execute(
            update(BreakGlass).values(expires_at=BreakGlass.expires_at - timedelta(hours=1))
        )
        session.commit()
    assert world.client.get("/api/people/MOS2/documents", headers=_alice(world)).status_code == 404
    found = world.client.get("/api/search", params={"q": "respite"}, headers=_alice(world)).json()
    assert found["total"] == 0


def test_only_practitioners_and_managers_break_glass(world: World) -> None:
    officer = world.issuer.headers("mig", ["migration_officer"])
    answer = world.client.post(
        "/api/people/MOS2/break-glass",
        json={"reason": "I would like to look at this"},
        headers=officer,
    )
    assert answer.status_code == 403
