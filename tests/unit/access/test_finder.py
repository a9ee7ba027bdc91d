"""The person finder through the API: restricted people, break-glass, paging and ranking."""

from __future__ import annotations

from datetime import timedelta

from catalog import access as rows
from catalog.models_access import BreakGlass
from core.clock import utcnow
from tests.unit.access.conftest import ADMIN, World


def _found(world: World, q: str, headers: dict[str, str]) -> dict[str, object]:
    answer = world.client.get("/api/people", params={"q": q}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _ids(body: dict[str, object]) -> list[str]:
    hits = body["hits"]
    assert isinstance(hits, list)
    return [h["person_id"] for h in hits]


def test_a_restricted_person_is_found_only_with_the_grant(world: World) -> None:
    with world.session() as session:
        rows.add_restriction(
            session,
            target_type="person",
            target_id="MOS3",
            restriction="sensitive",
            reason="test",
            actor="t",
            now=utcnow(),
        )
        session.commit()
    officer = world.issuer.headers("mig", ["migration_officer"])
    # Cara is in no team's way of the officer, but her record needs the grant: not found.
    assert _found(world, "Cara Cedar", officer) == {"total": 0, "hits": []}
    assert _found(world, "MOS3", officer)["total"] == 0
    alice = world.issuer.headers("alice", ["practitioner"], ["team-a"])
    assert _found(world, "cedar", alice)["total"] == 0
    assert _ids(_found(world, "cedar", ADMIN)) == ["MOS3"]  # the administrator holds every grant


def test_break_glass_opens_the_finder_to_that_person(world: World) -> None:
    bob = world.issuer.headers("bob", ["practitioner"], ["team-b"])
    assert _found(world, "Ann Ash", bob)["total"] == 0
    with world.session() as session:
        session.add(
            BreakGlass(
                username="bob",
                person_id="MOS1",
                reason="urgent safeguarding call",
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(minutes=30),
            )
        )
        session.commit()
    assert _ids(_found(world, "Ann Ash", bob)) == ["MOS1"]


def test_identifiers_sort_before_names_and_pages_are_bounded(world: World) -> None:
    # "Ben" is Ben Birch's name; MOS1 is Ann's ID: the identifier comes first.
    body = _found(world, "MOS1", ADMIN)
    assert _ids(body) == ["MOS1"]
    hits = body["hits"]
    assert isinstance(hits, list) and hits[0]["matched_on"] == "person ID"
    legacy = _found(world, "PARIS 200", ADMIN)
    assert _ids(legacy) == ["MOS2"]
    assert isinstance(legacy["hits"], list)
    assert legacy["hits"][0]["matched_on"] == "legacy ID PARIS 200"
    born = _found(world, "02/02/2011", ADMIN)
    assert _ids(born) == ["MOS2"]
    page = world.client.get("/api/people", params={"q": "2010-01-01", "offset": 1}, headers=ADMIN)
    assert page.json() == {"total": 1, "hits": []}
