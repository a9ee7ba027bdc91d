"""Access can be taken away: teams, allocations, grants (and their expiry), restrictions and
whole users, by the CLI and the administrators' API, each audited (issue 11, item 4)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from catalog.models import AuditEvent
from catalog.models_access import Grant, WebSession
from cli.main import main
from tests.unit.access.conftest import ADMIN, PASSWORD, World


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def _local_alice(world: World) -> None:
    world.add_user("alice", "practitioner", ["team-a"])


def _web_login(world: World) -> None:
    answer = world.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 200 and world.client.cookies.get("escr_session")


def _logged_out(world: World, path: str = "/people/MOS1") -> bool:
    answer = world.client.get(path, follow_redirects=False)
    return answer.status_code == 303 and answer.headers["location"].startswith("/login")


def _sessions(world: World, username: str) -> int:
    with world.session() as session:
        query = select(func.count()).select_from(WebSession).where(WebSession.username == username)
        return session.scalar(query) or 0


def _audited(world: World, action: str, target_id: str) -> list[AuditEvent]:
    with world.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.target_id == target_id
                )
            )
        )


def _grant(world: World, **extra: object) -> int:
    body = {"username": "alice", "restriction": "adoption", "reason": "adoption team cover"}
    return world.client.post("/api/admin/grants", json={**body, **extra}, headers=ADMIN).status_code


def test_a_revoked_grant_is_gone_on_the_next_request(world: World) -> None:
    """alice is an OIDC user with no local row: she is granted and revoked all the same."""
    d4 = f"/api/documents/{world.ids['D4']}"
    assert world.client.get(d4, headers=_alice(world)).status_code == 404
    assert _grant(world) == 200
    assert world.client.get(d4, headers=_alice(world)).status_code == 200
    revoke = {"username": "alice", "restriction": "adoption", "reason": "left the adoption team"}
    answer = world.client.post("/api/admin/grants/revoke", json=revoke, headers=ADMIN)
    assert answer.status_code == 200 and answer.json()["grants"] == []
    assert world.client.get(d4, headers=_alice(world)).status_code == 404
    changes = [e.detail["change"] for e in _audited(world, "grant_change", "alice")]
    assert changes == ["granted", "revoked"]
    again = world.client.post("/api/admin/grants/revoke", json=revoke, headers=ADMIN)
    assert again.status_code == 404 and "no grant" in again.json()["detail"]


def test_grants_expire(world: World) -> None:
    d4 = f"/api/documents/{world.ids['D4']}"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert _grant(world, expires=yesterday) == 422
    assert _grant(world, expires="1700-01-01") == 422
    assert _grant(world, expires=date.today().isoformat()) == 200
    assert world.client.get(d4, headers=_alice(world)).status_code == 200
    with world.session() as session:
        grant = session.scalars(select(Grant)).one()
        assert grant.expires_at == datetime.combine(
            date.today() + timedelta(days=1), datetime.min.time()
        )
        grant.expires_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
        session.commit()
    assert world.client.get(d4, headers=_alice(world)).status_code == 404


def test_cli_grant_with_expiry_and_revoke(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["grant", "alice", "staff", "--reason", "covering the staff team"]
    with pytest.raises(SystemExit):
        main([*args, "--expires", "2027-13-01"])
    assert "is not a date like" in capsys.readouterr().err
    assert main([*args, "--expires", "2199-03-31"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["grants"][0]["expires_at"] == "2199-04-01T00:00:00"
    assert main(["revoke", "alice", "staff", "--reason", "short"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert main(["revoke", "alice", "staff", "--reason", "cover has ended"]) == 0
    assert json.loads(capsys.readouterr().out)["grants"] == []


def test_a_deactivated_users_session_ends_at_once(world: World) -> None:
    _local_alice(world)
    _web_login(world)
    assert world.client.get("/people/MOS1").status_code == 200
    answer = world.client.post(
        "/api/admin/users/alice/deactivate", json={"reason": "left the council"}, headers=ADMIN
    )
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert _sessions(world, "alice") == 0
    assert _logged_out(world)
    refused = world.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert refused.status_code in (401, 429)
    # Her OIDC token, still within its lifetime, reaches nothing either.
    assert world.client.get("/api/people/MOS1/documents", headers=_alice(world)).status_code == 404
    assert world.client.get("/api/search?q=visit", headers=_alice(world)).json()["total"] == 0
    [event] = _audited(world, "user_change", "alice")[-1:]
    assert event.why == "left the council" and event.detail == {"active": False}

    back = world.client.post(
        "/api/admin/users/alice/reactivate", json={"reason": "returned from leave"}, headers=ADMIN
    )
    assert back.status_code == 200 and back.json()["active"] is True
    assert world.client.get("/api/people/MOS1/documents", headers=_alice(world)).status_code == 200


def test_an_oidc_user_without_a_row_can_be_deactivated(world: World) -> None:
    bob = world.issuer.headers("bob", ["practitioner"], ["team-b"])
    assert world.client.get("/api/people/MOS2/documents", headers=bob).status_code == 200
    answer = world.client.post(
        "/api/admin/users/bob/deactivate", json={"reason": "account compromised"}, headers=ADMIN
    )
    assert answer.status_code == 200
    assert world.client.get("/api/people/MOS2/documents", headers=bob).status_code == 404


def test_a_changed_password_ends_the_users_sessions(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _local_alice(world)
    _web_login(world)
    assert _sessions(world, "alice") == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase\n"))
    args = ["user", "add", "alice", "--role", "practitioner", "--password-stdin"]
    assert main(args) == 0
    assert _sessions(world, "alice") == 0
    assert _logged_out(world)


def test_user_add_prints_every_team_and_teams_can_be_set_exactly(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _local_alice(world)
    assert main(["user", "add", "alice", "--role", "practitioner", "--team", "team-b"]) == 0
    assert json.loads(capsys.readouterr().out)["teams"] == ["team-a", "team-b"]
    assert main(["user", "teams", "alice", "--team", "team-b", "--reason", "moved"]) == 0
    assert json.loads(capsys.readouterr().out)["teams"] == ["team-b"]
    assert main(["user", "remove-team", "alice", "team-a"]) == 2
    assert "not in team" in capsys.readouterr().err
    assert main(["user", "show", "alice"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["teams"] == ["team-b"] and shown["active"] is True


def test_removing_a_team_takes_its_people_away_at_once(world: World) -> None:
    _local_alice(world)
    _web_login(world)
    assert world.client.get("/people/MOS1").status_code == 200
    answer = world.client.delete("/api/admin/users/alice/teams/team-a", headers=ADMIN)
    assert answer.status_code == 200 and answer.json()["teams"] == []
    assert world.client.get("/people/MOS1").status_code == 404
    set_teams = world.client.put(
        "/api/admin/users/alice/teams", json={"teams": ["team-a"]}, headers=ADMIN
    )
    assert set_teams.status_code == 200 and set_teams.json()["teams"] == ["team-a"]
    assert world.client.get("/people/MOS1").status_code == 200
    assert (
        world.client.put(
            "/api/admin/users/nobody/teams", json={"teams": []}, headers=ADMIN
        ).status_code
        == 404
    )


def test_moving_and_ending_an_allocation(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    bob = world.issuer.headers("bob", ["practitioner"], ["team-b"])
    mos1 = "/api/people/MOS1/documents"
    move = {"person_id": "MOS1", "team": "team-b", "from_team": "team-a", "reason": "ok"}
    assert world.client.post("/api/admin/allocations", json=move, headers=ADMIN).status_code == 422
    move["reason"] = "Ann moved to the south area"
    answer = world.client.post("/api/admin/allocations", json=move, headers=ADMIN)
    assert answer.status_code == 200 and answer.json()["teams"] == ["team-b"]
    assert world.client.get(mos1, headers=_alice(world)).status_code == 404
    assert world.client.get(mos1, headers=bob).status_code == 200
    [event] = _audited(world, "allocation_change", "MOS1")[-1:]
    assert event.detail == {"removed": "team-a", "team": "team-b"} and event.person_ids == "MOS1"

    args = ["unallocate", "MOS1", "team-b", "--reason", "case closed and archived"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["teams"] == []
    assert world.client.get(mos1, headers=bob).status_code == 404
    assert main(args) == 2  # nothing left to end


def test_unrestrict_needs_a_reason_and_gives_the_records_back(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    d1 = str(world.ids["D1"])
    assert main(["restrict", "document", d1, "staff", "--reason", "staff member"]) == 0
    assert world.client.get(f"/api/documents/{d1}", headers=_alice(world)).status_code == 404
    assert main(["unrestrict", "document", d1, "staff", "--reason", "no"]) == 2
    assert main(["unrestrict", "document", "D1", "staff", "--reason", "wrongly marked"]) == 2
    assert "a document ID is a number" in capsys.readouterr().err
    assert main(["unrestrict", "document", d1, "staff", "--reason", "wrongly marked"]) == 0
    assert world.client.get(f"/api/documents/{d1}", headers=_alice(world)).status_code == 200
    found = world.client.get("/api/search", params={"q": "flat"}, headers=_alice(world)).json()
    assert found["total"] == 1
    body = {"target_type": "document", "target_id": d1, "restriction": "staff", "reason": "x" * 12}
    again = world.client.post("/api/admin/restrictions/lift", json=body, headers=ADMIN)
    assert again.status_code == 404
    changes = [e.detail["change"] for e in _audited(world, "restriction_change", d1)]
    assert changes == ["added", "removed"]


def test_only_administrators_administer_access(world: World) -> None:
    for headers in (
        _alice(world),
        world.issuer.headers("ig1", ["ig_officer"]),
        world.issuer.headers("mig", ["migration_officer"]),
    ):
        assert world.client.get("/api/admin/users/alice", headers=headers).status_code == 403
        answer = world.client.post(
            "/api/admin/grants",
            json={"username": "alice", "restriction": "adoption", "reason": "let me see it"},
            headers=headers,
        )
        assert answer.status_code == 403
    admin = world.issuer.headers("root", ["administrator"])
    assert world.client.get("/api/admin/users/alice", headers=admin).status_code == 200
    assert world.client.get("/api/admin/users/alice").status_code == 401
