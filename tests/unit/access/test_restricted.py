"""Restricted classes (adoption, staff, sensitive) need an explicit grant, in search and in
every point read, and a mark reaches the index at once."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog import access as rows
from records.restrict import mark_restricted
from tests.unit.access.conftest import ADMIN, World


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def _grant(world: World, restriction: str) -> None:
    with world.session() as session:
        now = datetime.now(UTC).replace(tzinfo=None)
        rows.add_grant(
            session, username="alice", restriction=restriction, reason="t", actor="t", now=now
        )
        session.commit()


def test_adoption_needs_a_grant_in_search_chronology_and_by_id(world: World) -> None:
    d4 = world.ids["D4"]
    found = world.client.get("/api/search", params={"q": "panel"}, headers=_alice(world)).json()
    assert found["total"] == 0 and "adoption" not in found["facets"]["doc_type"]
    chronology = world.client.get("/api/people/MOS1/documents", headers=_alice(world)).json()
    assert [d["document_id"] for d in chronology["documents"]] == [world.ids["D1"]]
    assert "adoption" not in chronology["types"]
    for path in (f"/api/documents/{d4}", f"/api/documents/{d4}/text"):
        assert world.client.get(path, headers=_alice(world)).status_code == 404
    # The service account is an administrator and holds every grant.
    assert world.client.get(f"/api/documents/{d4}", headers=ADMIN).status_code == 200

    _grant(world, "adoption")
    found = world.client.get("/api/search", params={"q": "panel"}, headers=_alice(world)).json()
    assert [h["source_document_id"] for h in found["hits"]] == ["D4"]
    chronology = world.client.get("/api/people/MOS1/documents", headers=_alice(world)).json()
    assert len(chronology["documents"]) == 2
    assert world.client.get(f"/api/documents/{d4}/text", headers=_alice(world)).status_code == 200


def test_even_unrestricted_roles_need_a_grant(world: World) -> None:
    ig = world.issuer.headers("ig1", ["ig_officer"])
    found = world.client.get("/api/search", params={"q": "panel"}, headers=ig).json()
    assert found["total"] == 0


def test_a_person_marked_sensitive_needs_a_grant(world: World) -> None:
    with world.session() as session:
        reindexed = mark_restricted(
            session,
            world.settings,
            target_type="person",
            target_id="MOS3",
            restriction="sensitive",
            reason="high-profile case",
            actor="cli:test",
        )
        session.commit()
    assert reindexed == 1
    answer = world.client.get("/api/people/MOS3/documents", headers=_alice(world))
    assert answer.status_code == 404
    found = world.client.get("/api/search", params={"q": "school"}, headers=_alice(world)).json()
    assert found["total"] == 0
    d5 = world.ids["D5"]
    assert world.client.get(f"/api/documents/{d5}", headers=_alice(world)).status_code == 404

    _grant(world, "sensitive")
    found = world.client.get("/api/search", params={"q": "school"}, headers=_alice(world)).json()
    assert found["total"] == 1
    assert world.client.get("/api/people/MOS3/documents", headers=_alice(world)).status_code == 200


def test_a_document_marked_as_a_staff_record_needs_a_grant(world: World) -> None:
    d1 = world.ids["D1"]
    with world.session() as session:
        mark_restricted(
            session,
            world.settings,
            target_type="document",
            target_id=str(d1),
            restriction="staff",
            reason="the subject is a member of staff",
            actor="cli:test",
        )
        session.commit()
    assert world.client.get(f"/api/documents/{d1}", headers=_alice(world)).status_code == 404
    found = world.client.get("/api/search", params={"q": "flat"}, headers=_alice(world)).json()
    assert found["total"] == 0
    meta = world.client.get(f"/api/documents/{d1}", headers=ADMIN).json()
    assert meta["restrictions"] == ["staff"]
