"""An email's attachments are part of it: whatever keeps the email from a reader keeps its
attachments from them too, in every read, the search index and the web page (issue 11, item 3)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from records.restrict import lift_restriction, mark_restricted
from tests.unit.access.conftest import ADMIN, PASSWORD, World
from workers.load import load_archive


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def _reads(document_id: int) -> list[str]:
    return [
        f"/api/documents/{document_id}",
        f"/api/documents/{document_id}/text",
        f"/api/documents/{document_id}/content",
    ]


def _restrict(world: World, target_type: str, target_id: str) -> int:
    with world.session() as session:
        count = mark_restricted(
            session,
            world.settings,
            target_type=target_type,
            target_id=target_id,
            restriction="sensitive",
            reason="a high-profile family",
            actor="cli:test",
        )
        session.commit()
    return count


def _hits(world: World, q: str, headers: dict[str, str]) -> list[str]:
    found = world.client.get("/api/search", params={"q": q}, headers=headers).json()
    return [h["source_document_id"] for h in found["hits"]]


def _web_login(world: World) -> TestClient:
    world.add_user("alice", "practitioner", ["team-a"])
    answer = world.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 200
    return world.client


def test_attachments_are_loaded_as_children_on_their_emails_people(family_world: World) -> None:
    child = family_world.ids["E1#attachment-1"]
    meta = family_world.client.get(f"/api/documents/{child}", headers=ADMIN).json()
    assert meta["parent_id"] == family_world.ids["E1"] and meta["person_ids"] == ["MOS1"]
    assert _hits(family_world, "marmalade", _alice(family_world)) == ["E1#attachment-1"]


def test_restricting_an_email_restricts_its_attachment_everywhere(family_world: World) -> None:
    world = family_world
    child = world.ids["E1#attachment-1"]
    for path in _reads(child):
        assert world.client.get(path, headers=_alice(world)).status_code == 200, path

    # The email and its attachment are re-indexed together.
    assert _restrict(world, "document", str(world.ids["E1"])) == 2

    missing = world.client.get("/api/documents/999999", headers=_alice(world))
    for path in _reads(child):
        answer = world.client.get(path, headers=_alice(world))
        assert answer.status_code == 404, path
        assert answer.json() == {"error": "NotFound", "detail": f"document {child} not found"}
    assert missing.json()["detail"] == "document 999999 not found"
    assert _hits(world, "marmalade", _alice(world)) == []
    meta = world.client.get(f"/api/documents/{child}", headers=ADMIN).json()
    assert meta["restrictions"] == ["sensitive"]
    assert _hits(world, "marmalade", ADMIN) == ["E1#attachment-1"]
    web = _web_login(world)
    page = web.get(f"/documents/{child}")
    assert page.status_code == 404 and "marmalade" not in page.text


def test_lifting_the_emails_restriction_gives_the_attachment_back(family_world: World) -> None:
    world = family_world
    child = world.ids["E1#attachment-1"]
    _restrict(world, "document", str(world.ids["E1"]))
    with world.session() as session:
        count = lift_restriction(
            session,
            world.settings,
            target_type="document",
            target_id=str(world.ids["E1"]),
            restriction="sensitive",
            reason="the family's case was closed and reviewed",
            actor="cli:test",
        )
    assert count == 2
    assert world.client.get(f"/api/documents/{child}", headers=_alice(world)).status_code == 200
    assert _hits(world, "marmalade", _alice(world)) == ["E1#attachment-1"]


def test_restricting_the_emails_person_restricts_the_attachment(family_world: World) -> None:
    world = family_world
    child = world.ids["E1#attachment-1"]
    _restrict(world, "person", "MOS1")
    assert world.client.get(f"/api/documents/{child}", headers=_alice(world)).status_code == 404
    assert _hits(world, "marmalade", _alice(world)) == []


def test_confirming_an_email_as_adoption_hides_its_attachments(family_world: World) -> None:
    world = family_world
    child = world.ids["E1#attachment-1"]
    officer = world.issuer.headers("mig", ["migration_officer"])
    answer = world.client.post(
        f"/api/documents/{world.ids['E1']}/type", json={"doc_type": "adoption"}, headers=officer
    )
    assert answer.status_code == 200, answer.text
    assert world.client.get(f"/api/documents/{child}", headers=_alice(world)).status_code == 404
    assert _hits(world, "marmalade", _alice(world)) == []
    meta = world.client.get(f"/api/documents/{child}", headers=ADMIN).json()
    assert meta["restrictions"] == ["adoption"] and meta["doc_type"] != "adoption"


def test_an_attachment_follows_its_emails_people(family_world: World) -> None:
    """E2 is on Ben (team B): its attachment is on Ben too, so Ann's team cannot find it."""
    world = family_world
    child = world.ids["E2#attachment-1"]
    answer = world.client.get(f"/api/documents/{child}", headers=_alice(world))
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"document {child} not found"
    assert _hits(world, "porcupine", _alice(world)) == []
    bob = world.issuer.headers("bob", ["practitioner"], ["team-b"])
    assert _hits(world, "porcupine", bob) == ["E2#attachment-1"]
    assert world.client.get(f"/api/documents/{child}", headers=bob).status_code == 200


def test_an_emails_metadata_lists_only_attachments_the_caller_may_see(family_world: World) -> None:
    world = family_world
    child = world.ids["E1#attachment-1"]
    _restrict(world, "document", str(child))
    meta = world.client.get(f"/api/documents/{world.ids['E1']}", headers=_alice(world)).json()
    assert meta["attachments"] == []
    everything = world.client.get(f"/api/documents/{world.ids['E1']}", headers=ADMIN).json()
    assert everything["attachments"] == [child]
    assert re.fullmatch(r"\d+", str(child))


def test_linking_an_email_from_the_queue_links_its_attachments(family_world: World) -> None:
    """E3 named nobody: it and its attachment wait in the queue's care; linking the email puts
    the attachment on the same person, so the person's team finds both."""
    world = family_world
    child = world.ids["E3#attachment-1"]
    assert world.client.get(f"/api/documents/{child}", headers=_alice(world)).status_code == 404
    officer = world.issuer.headers("mig", ["migration_officer"])
    queue = world.client.get("/api/exceptions", headers=officer).json()
    [item] = [q for q in queue if q["source_document_id"] == "E3"]
    linked = world.client.post(
        f"/api/exceptions/{item['exception_id']}/link",
        json={"person_id": "MOS1", "note": "the school names Ann"},
        headers=officer,
    )
    assert linked.status_code == 200, linked.text
    meta = world.client.get(f"/api/documents/{child}", headers=_alice(world))
    assert meta.status_code == 200 and meta.json()["person_ids"] == ["MOS1"]
    assert _hits(world, "kumquat", _alice(world)) == ["E3#attachment-1"]


def test_a_later_round_that_makes_an_email_adoption_hides_its_attachment(
    family_world: World, tmp_path: Path
) -> None:
    """The email changes and is now an adoption record; its attachment's bytes do not, so the
    loader has no reason of its own to touch it: its index entry must still take the new type."""
    world = family_world
    assert _hits(world, "marmalade", _alice(world)) == ["E1#attachment-1"]
    archive = tmp_path / "archive"
    manifest = archive / "manifest.csv"
    manifest.write_text(
        manifest.read_text().replace("Trampoline email,EMAIL", "Trampoline email,ADOPT")
    )
    email = archive / "files" / "E1.eml"
    email.write_bytes(email.read_bytes().replace(b"Please see", b"Please now see"))
    load_archive(
        world.settings, manifest=manifest, people=archive / "people.csv", workers=1, progress=False
    )
    meta = world.client.get(f"/api/documents/{world.ids['E1']}", headers=ADMIN).json()
    assert meta["doc_type"] == "adoption" and meta["version"] == 2
    assert _hits(world, "marmalade", _alice(world)) == []
    child = world.ids["E1#attachment-1"]
    assert world.client.get(f"/api/documents/{child}", headers=_alice(world)).status_code == 404
