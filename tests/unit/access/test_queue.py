"""The exception queue's decisions: audited, re-indexed, and kept by the next load round."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from catalog.models import AuditEvent, DocumentLink, ExceptionItem
from tests.unit.access.conftest import ADMIN, World
from workers.load import load_archive


def _officer(world: World) -> dict[str, str]:
    return world.issuer.headers("mig", ["migration_officer"])


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def test_linking_from_the_queue_is_audited_indexed_and_survives_the_next_round(
    world: World, tmp_path: Path
) -> None:
    queue = world.client.get("/api/exceptions", headers=_officer(world)).json()
    item = queue[0]
    assert (
        world.client.post(
            f"/api/exceptions/{item['exception_id']}/link",
            json={"person_id": "MOS1", "note": "letter names Ann's grandmother"},
            headers=_alice(world),
        ).status_code
        == 403
    )
    linked = world.client.post(
        f"/api/exceptions/{item['exception_id']}/link",
        json={"person_id": "MOS1", "note": "letter names Ann's grandmother"},
        headers=_officer(world),
    )
    assert linked.status_code == 200 and linked.json()["resolved"] == 1
    found = world.client.get("/api/search", params={"q": "allotment"}, headers=_alice(world))
    assert [h["source_document_id"] for h in found.json()["hits"]] == ["D3"]
    assert world.client.get("/api/exceptions", headers=_officer(world)).json() == []
    again = world.client.post(
        f"/api/exceptions/{item['exception_id']}/link",
        json={"person_id": "MOS2"},
        headers=_officer(world),
    )
    assert again.status_code == 409

    # The next round: the same archive again, as a new batch. The manual link stays.
    archive = tmp_path / "archive"
    load_archive(
        world.settings,
        manifest=archive / "manifest.csv",
        people=archive / "people.csv",
        workers=1,
        progress=False,
        batch="round-2",
    )
    with world.session() as session:
        d3 = world.ids["D3"]
        links = session.scalars(select(DocumentLink).where(DocumentLink.document_id == d3)).all()
        assert [(link.person_id, link.method) for link in links] == [("MOS1", "manual")]
        statuses = session.scalars(
            select(ExceptionItem.status).where(ExceptionItem.document_id == d3)
        ).all()
        assert statuses == ["resolved"]
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "mig"))
        assert "link_change" in set(actions)
    found = world.client.get("/api/search", params={"q": "allotment"}, headers=_alice(world))
    assert found.json()["total"] == 1
    recon = world.client.get("/api/batches/round-2/reconciliation", headers=ADMIN).json()
    assert recon["unlinked"] == 0


def test_confirm_type_and_not_needed(world: World) -> None:
    d3 = world.ids["D3"]
    confirmed = world.client.post(
        f"/api/documents/{d3}/type", json={"doc_type": "complaint"}, headers=_officer(world)
    )
    assert confirmed.status_code == 200
    meta = world.client.get(f"/api/documents/{d3}", headers=_officer(world)).json()
    assert meta["doc_type"] == "complaint" and meta["type_confirmed"] is True
    assert "confirmed by mig" in meta["type_reason"]
    bad = world.client.post(
        f"/api/documents/{d3}/type", json={"doc_type": "nonsense"}, headers=_officer(world)
    )
    assert bad.status_code == 422
    facets = world.client.get("/api/search", params={"q": "allotment"}, headers=ADMIN).json()
    assert facets["facets"]["doc_type"] == {"complaint": 1}

    item = world.client.get("/api/exceptions", headers=_officer(world)).json()[0]
    done = world.client.post(
        f"/api/exceptions/{item['exception_id']}/not-needed",
        json={"note": "a duplicate of a letter already on file"},
        headers=_officer(world),
    )
    assert done.status_code == 200 and done.json()["status"] == "not_needed"
    assert world.client.get("/api/exceptions", headers=_officer(world)).json() == []
