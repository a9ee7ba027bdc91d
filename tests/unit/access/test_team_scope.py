"""A practitioner reaches only their teams' people, by every route (issue 5)."""

from __future__ import annotations

from tests.unit.access.conftest import ADMIN, World


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def test_search_total_and_facets_count_only_the_teams_people(world: World) -> None:
    found = world.client.get("/api/search", params={"q": "grandmother"}, headers=_alice(world))
    body = found.json()
    # D1 (Ann) and D5 (Cara); not Ben's plan (team B), the unlinked letter, or the adoption report.
    assert {h["source_document_id"] for h in body["hits"]} == {"D1", "D5"}
    assert body["total"] == 2
    assert body["facets"]["doc_type"] == {"case_note": 1, "correspondence": 1}
    assert sum(body["facets"]["year"].values()) == 2
    everyone = world.client.get("/api/search", params={"q": "grandmother"}, headers=ADMIN).json()
    assert everyone["total"] == 5


def test_asking_for_another_teams_person_finds_nothing_not_even_counts(world: World) -> None:
    params = {"q": "grandmother", "person": "MOS2"}
    body = world.client.get("/api/search", params=params, headers=_alice(world)).json()
    assert body["total"] == 0 and body["hits"] == []
    assert body["facets"] == {"doc_type": {}, "year": {}}
    plan = world.client.get("/api/search", params={"q": "respite"}, headers=_alice(world)).json()
    assert plan["total"] == 0


def test_document_text_content_and_chronology_of_another_team_are_refused(world: World) -> None:
    d2 = world.ids["D2"]
    for path in (
        f"/api/documents/{d2}",
        f"/api/documents/{d2}/text",
        f"/api/documents/{d2}/content",
        f"/api/documents/{d2}/content?inline=true",
        "/api/people/MOS2/documents",
    ):
        answer = world.client.get(path, headers=_alice(world))
        assert answer.status_code == 404, path
        assert "grandmother" not in answer.text
    mine = world.client.get(f"/api/documents/{world.ids['D1']}/text", headers=_alice(world))
    assert mine.status_code == 200 and "grandmother at the flat" in mine.text


def test_unlinked_documents_and_the_exception_queue_are_the_migration_teams(world: World) -> None:
    d3 = world.ids["D3"]
    assert world.client.get(f"/api/documents/{d3}", headers=_alice(world)).status_code == 404
    assert world.client.get("/api/exceptions", headers=_alice(world)).status_code == 403
    manager = world.issuer.headers("mo", ["team_manager"], ["team-a", "team-b"])
    assert world.client.get("/api/exceptions", headers=manager).status_code == 403
    officer = world.issuer.headers("mig", ["migration_officer"])
    queue = world.client.get("/api/exceptions", headers=officer).json()
    assert [q["source_document_id"] for q in queue] == ["D3"]
    assert world.client.get(f"/api/documents/{d3}", headers=officer).status_code == 200


def test_a_team_manager_sees_every_team_they_manage(world: World) -> None:
    manager = world.issuer.headers("mo", ["team_manager"], ["team-a", "team-b"])
    body = world.client.get("/api/search", params={"q": "grandmother"}, headers=manager).json()
    assert {h["source_document_id"] for h in body["hits"]} == {"D1", "D2", "D5"}


def test_no_team_no_people(world: World) -> None:
    nobody = world.issuer.headers("new.starter", ["practitioner"], [])
    body = world.client.get("/api/search", params={"q": "grandmother"}, headers=nobody).json()
    assert body["total"] == 0
    answer = world.client.get("/api/people/MOS1/documents", headers=nobody)
    assert answer.status_code == 404


def test_refusals_are_audited(world: World) -> None:
    world.client.get("/api/people/MOS2/documents", headers=_alice(world))
    report = world.client.get("/api/audit/people/MOS2", headers=ADMIN).json()
    denied = [e for e in report if e["action"] == "access_denied"]
    assert denied and denied[0]["actor"] == "alice"


def test_governance_routes_need_the_ig_role(world: World) -> None:
    assert world.client.get("/api/holds", headers=_alice(world)).status_code == 403
    ig = world.issuer.headers("ig1", ["ig_officer"])
    assert world.client.get("/api/holds", headers=ig).status_code == 200
    assert world.client.get("/api/batches", headers=_alice(world)).status_code == 403
