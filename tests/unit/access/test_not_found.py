"""Outside the caller's access, "not allowed" and "not found" look the same; the audit log keeps
the truth, with the people a refusal concerns (issue 11, items 9 and 10)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from catalog import access as rows
from catalog.models import AuditEvent
from tests.unit.access.conftest import ADMIN, PASSWORD, World


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def _answer(world: World, path: str) -> tuple[int, dict[str, str]]:
    answer = world.client.get(path, headers=_alice(world))
    return answer.status_code, answer.json()


def test_another_teams_person_and_a_missing_one_answer_alike(world: World) -> None:
    for path in ("/api/people/{}/documents", "/api/people/{}/documents?type=case_note"):
        other = _answer(world, path.format("MOS2"))
        missing = _answer(world, path.format("MOS9"))
        assert other == (404, {"error": "NotFound", "detail": "person 'MOS2' not found"})
        assert missing == (404, {"error": "NotFound", "detail": "person 'MOS9' not found"})


def test_documents_out_of_reach_answer_as_missing_ones(world: World) -> None:
    """Another team's (D2), on nobody yet (D3), a restricted class (D4), and no document."""
    for document_id in (world.ids["D2"], world.ids["D3"], world.ids["D4"], 999_999):
        for suffix in ("", "/text", "/content", "/content?inline=true"):
            status, body = _answer(world, f"/api/documents/{document_id}{suffix}")
            assert status == 404, (document_id, suffix)
            assert body == {"error": "NotFound", "detail": f"document {document_id} not found"}


def test_refusals_never_name_the_restricted_class(world: World) -> None:
    with world.session() as session:
        rows.add_restriction(
            session,
            target_type="person",
            target_id="MOS3",
            restriction="staff",
            reason="t",
            actor="t",
            now=datetime.now(UTC).replace(tzinfo=None),
        )
        session.commit()
    for path in (
        f"/api/documents/{world.ids['D4']}",
        f"/api/documents/{world.ids['D5']}/text",
        "/api/people/MOS3/documents",
    ):
        answer = world.client.get(path, headers=_alice(world))
        assert answer.status_code == 404, path
        assert "adoption" not in answer.text and "staff" not in answer.text
        assert "grant" not in answer.text


def test_the_web_pages_answer_alike_for_another_teams_person_and_a_missing_one(
    world: World,
) -> None:
    world.add_user("alice", "practitioner", ["team-a"])
    world.client.post("/login", data={"username": "alice", "password": PASSWORD})
    other, missing = world.client.get("/people/MOS2"), world.client.get("/people/MOS9")
    assert other.status_code == missing.status_code == 404
    assert other.text.replace("MOS2", "X") == missing.text.replace("MOS9", "X")
    doc, nothing = (
        world.client.get(f"/documents/{world.ids['D4']}"),
        world.client.get("/documents/999999"),
    )
    assert doc.status_code == nothing.status_code == 404
    assert doc.text.replace(str(world.ids["D4"]), "X") == nothing.text.replace("999999", "X")
    # The page says which kind of trouble it is, not "Something went wrong".
    assert "<h1>Not found</h1>" in nothing.text


def test_break_glass_finds_only_people_who_exist(world: World) -> None:
    """Break-glass is how a practitioner reaches someone outside their teams, so a person it
    opens is no secret; a missing person is not found (and the probe is audited)."""
    body = {"reason": "out of hours duty call about a child", "minutes": 30}
    missing = world.client.post("/api/people/MOS9/break-glass", json=body, headers=_alice(world))
    assert missing.status_code == 404
    assert missing.json() == {"error": "NotFound", "detail": "person 'MOS9' not found"}
    opened = world.client.post("/api/people/MOS2/break-glass", json=body, headers=_alice(world))
    assert opened.status_code == 200


def test_role_refusals_stay_403(world: World) -> None:
    assert world.client.get("/api/exceptions", headers=_alice(world)).status_code == 403


def _events(world: World, action: str, target: str) -> list[AuditEvent]:
    target_type, _, target_id = target.partition(":")
    with world.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action,
                    AuditEvent.target_type == target_type,
                    AuditEvent.target_id == target_id,
                )
            )
        )


def test_a_refused_document_read_is_on_its_persons_record(world: World) -> None:
    d2 = world.ids["D2"]
    world.client.get(f"/api/documents/{d2}/text", headers=_alice(world))
    [event] = _events(world, "access_denied", f"document:{d2}")
    assert event.person_ids == "MOS2" and event.actor == "alice"
    assert event.detail["reason"] == "this document is on no person in your teams"
    report = world.client.get("/api/audit/people/MOS2", headers=ADMIN).json()
    assert any(e["action"] == "access_denied" and e["target"] == f"document:{d2}" for e in report)


def test_a_refused_read_names_the_restricted_class_only_in_the_audit(world: World) -> None:
    d4 = world.ids["D4"]
    world.client.get(f"/api/documents/{d4}", headers=_alice(world))
    [event] = _events(world, "access_denied", f"document:{d4}")
    assert event.detail["reason"] == "needs a grant for adoption" and event.person_ids == "MOS1"


def test_a_refused_person_read_carries_the_person(world: World) -> None:
    world.client.get("/api/people/MOS2/documents", headers=_alice(world))
    [event] = _events(world, "access_denied", "person:MOS2")
    assert event.person_ids == "MOS2"


def test_probes_for_what_does_not_exist_are_audited(world: World) -> None:
    world.client.get("/api/documents/999999", headers=_alice(world))
    world.client.get("/api/people/MOS9/documents", headers=_alice(world))
    [document] = _events(world, "not_found", "document:999999")
    [person] = _events(world, "not_found", "person:MOS9")
    assert document.actor == person.actor == "alice"
