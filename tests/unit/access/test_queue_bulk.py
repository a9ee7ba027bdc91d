"""The queue's bulk decision (every document of a legacy ID), its memory for later rounds,
undo, filters, paging and the web form's errors (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from catalog.models import AuditEvent, Document, DocumentLink, ExceptionItem
from catalog.models_matching import LegacyIdResolution
from core.settings import Settings
from tests.unit.access.conftest import PASSWORD, World, _world
from workers.load import load_archive

UNKNOWN = "977606"  # a legacy ID the crosswalk does not know


def _add_unknown_legacy_id(manifest: Path) -> None:
    """Three letters of legacy ID 977606 (one written 0977606) and one of another unknown ID."""
    rows = (("U1", UNKNOWN), ("U2", UNKNOWN), ("U3", "0" + UNKNOWN), ("U4", "555"))
    for source_id, legacy in rows:
        path = manifest.parent / "files" / f"{source_id}.txt"
        path.write_text(f"Letter {source_id} about the garden fence.\n", encoding="utf-8")
        with manifest.open("a", encoding="utf-8") as handle:
            handle.write(
                f"PARIS,{source_id},{legacy},files/{source_id}.txt,Fence letter {source_id},"
                "LETOUT,2020-01-01,\n"
            )


@pytest.fixture
def bulk_world(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, rsa_key, _add_unknown_legacy_id)


def _officer(world: World) -> dict[str, str]:
    return world.issuer.headers("mig", ["migration_officer"])


def _item(world: World, source_id: str) -> dict[str, object]:
    queue = world.client.get("/api/exceptions", headers=_officer(world)).json()
    return next(q for q in queue if q["source_document_id"] == source_id)


def test_link_all_documents_of_a_legacy_id_remembered_and_undone(
    bulk_world: World, tmp_path: Path
) -> None:
    world = bulk_world
    item = _item(world, "U1")
    assert item["same_legacy_id_open"] == 3
    done = world.client.post(
        f"/api/exceptions/{item['exception_id']}/link-legacy-id",
        json={"person_id": "MOS2", "note": "the fence letters are Ben's"},
        headers=_officer(world),
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["legacy_id"] == f"PARIS:{UNKNOWN}" and body["remembered"] is True
    assert len(body["documents"]) == 3 and body["resolved"] == 3
    open_ids = {
        q["source_document_id"]
        for q in world.client.get("/api/exceptions", headers=_officer(world)).json()
    }
    assert open_ids == {"D3", "U4"}  # U4's ID is another one
    with world.session() as session:
        linked = {
            world.ids[s]: p
            for s in ("U1", "U2", "U3")
            for p in session.scalars(
                select(DocumentLink.person_id).where(DocumentLink.document_id == world.ids[s])
            )
        }
        assert set(linked.values()) == {"MOS2"} and len(linked) == 3
        assert (
            session.scalar(
                select(LegacyIdResolution.person_id).where(LegacyIdResolution.legacy_id == UNKNOWN)
            )
            == "MOS2"
        )
        assert (
            session.scalar(
                select(AuditEvent).where(
                    AuditEvent.action == "bulk_link", AuditEvent.target_id == f"PARIS:{UNKNOWN}"
                )
            )
            is not None
        )

    # Undo one: it comes off Ben, its exception opens again, and the remembered answer goes.
    with world.session() as session:
        decided = session.scalar(
            select(ExceptionItem.id).where(ExceptionItem.document_id == world.ids["U2"])
        )
    short = world.client.post(
        f"/api/exceptions/{decided}/undo", json={"reason": "oops"}, headers=_officer(world)
    )
    assert short.status_code == 422
    undone = world.client.post(
        f"/api/exceptions/{decided}/undo",
        json={"reason": "U2 is about another family's fence"},
        headers=_officer(world),
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["unlinked_from"] == "MOS2"
    assert _item(world, "U2")["exception_id"] == decided
    with world.session() as session:
        assert (
            list(
                session.scalars(
                    select(DocumentLink).where(DocumentLink.document_id == world.ids["U2"])
                )
            )
            == []
        )
        assert session.scalar(select(LegacyIdResolution)) is None
    again = world.client.post(
        f"/api/exceptions/{decided}/undo",
        json={"reason": "U2 is about another family's fence"},
        headers=_officer(world),
    )
    assert again.status_code == 409


def test_a_remembered_legacy_id_links_its_documents_in_the_next_round(
    bulk_world: World, tmp_path: Path
) -> None:
    world = bulk_world
    item = _item(world, "U1")
    world.client.post(
        f"/api/exceptions/{item['exception_id']}/link-legacy-id",
        json={"person_id": "MOS2"},
        headers=_officer(world),
    ).raise_for_status()
    archive = tmp_path / "archive"
    manifest = archive / "manifest.csv"
    (archive / "files" / "U5.txt").write_text("A new fence letter.\n", encoding="utf-8")
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(f"PARIS,U5,{UNKNOWN},files/U5.txt,Fence letter U5,LETOUT,2020-02-01,\n")
    load_archive(
        world.settings,
        manifest=manifest,
        people=archive / "people.csv",
        workers=1,
        progress=False,
        batch="round-2",
    )
    queue = world.client.get("/api/exceptions", headers=_officer(world)).json()
    assert "U5" not in {q["source_document_id"] for q in queue}
    with world.session() as session:
        u5 = session.scalar(select(Document.id).where(Document.source_document_id == "U5"))
        people = list(
            session.scalars(select(DocumentLink.person_id).where(DocumentLink.document_id == u5))
        )
    assert people == ["MOS2"]


def test_filters_sort_and_paging(bulk_world: World) -> None:
    world = bulk_world
    officer = _officer(world)
    everything = world.client.get("/api/exceptions", headers=officer).json()
    assert len(everything) == 5
    page = world.client.get("/api/exceptions", params={"limit": 2, "offset": 2}, headers=officer)
    assert [q["exception_id"] for q in page.json()] == [q["exception_id"] for q in everything[2:4]]
    typed = world.client.get("/api/exceptions", params={"type": "adoption"}, headers=officer)
    assert typed.json() == []
    assert (
        world.client.get(
            "/api/exceptions", params={"type": "nonsense"}, headers=officer
        ).status_code
        == 422
    )
    assert (
        world.client.get(
            "/api/exceptions", params={"sort": "nonsense"}, headers=officer
        ).status_code
        == 422
    )
    by_confidence = world.client.get(
        "/api/exceptions", params={"sort": "confidence"}, headers=officer
    )
    assert by_confidence.status_code == 200 and len(by_confidence.json()) == 5
    other = world.client.get("/api/exceptions", params={"source": "CAREFIRST"}, headers=officer)
    assert other.json() == []


def test_the_web_form_says_what_was_wrong_on_the_queue(bulk_world: World) -> None:
    world = bulk_world
    world.add_user("mig", "migration_officer", [])
    login = world.client.post("/login", data={"username": "mig", "password": PASSWORD})
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    queue = world.client.get("/migration/exceptions", params={"sort": "confidence"})
    assert "checked" not in re.sub(r"<option[^>]*selected[^>]*>", "", queue.text)
    found = re.search(r"/migration/exceptions/(\d+)/link", queue.text)
    assert found is not None
    nobody = world.client.post(
        f"/migration/exceptions/{found.group(1)}/link",
        data={"csrf": csrf.group(1), "person_id": "", "state": "sort=confidence"},
        follow_redirects=False,
    )
    assert nobody.status_code == 303
    assert nobody.headers["location"] == "/migration/exceptions?sort=confidence"
    shown = world.client.get(nobody.headers["location"])
    assert "That decision was not made" in shown.text
    assert "choose a person to link the document to" in shown.text
    wrong = world.client.post(
        f"/migration/exceptions/{found.group(1)}/link",
        data={"csrf": csrf.group(1), "person_id": "LCS999"},
    )
    assert (
        "person &#39;LCS999&#39; not found" in wrong.text
        and "Something went wrong" not in wrong.text
    )
    # The no-script picker: the finder's people become choices in the item's form.
    picked = world.client.get(
        "/migration/exceptions", params={"find": "Ben Birch", "for": found.group(1)}
    )
    assert re.search(r'name="person_id" value="MOS2"', picked.text)
    assert "found by name" in picked.text
