"""The rendition routes keep the original's access rules: outside the caller's access the
answer is the same 404 as for the document itself; a read is audited (issue 13, section 5)."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from catalog.models import AuditEvent
from storage.factory import make_blob_store
from tests.unit.access.conftest import PASSWORD, World
from workers.load import limits_from
from workers.render.stage import render_waiting
from workers.sandbox import SandboxPool


def _alice(world: World) -> dict[str, str]:
    return world.issuer.headers("alice", ["practitioner"], ["team-a"])


def _render_all(world: World) -> None:
    with (
        SandboxPool(1, limits_from(world.settings), world.settings.tmp_dir / "r") as pool,
        world.session() as session,
    ):
        render_waiting(session, make_blob_store(world.settings), pool)


def test_a_rendition_not_made_yet_says_so_to_who_may_see_the_document(world: World) -> None:
    d1 = world.ids["D1"]
    answer = world.client.get(f"/api/documents/{d1}/rendition", headers=_alice(world))
    assert answer.status_code == 404
    assert answer.json()["error"] == "RenditionNotReady"
    assert "waits for the render stage" in answer.json()["detail"]
    meta = world.client.get(f"/api/documents/{d1}", headers=_alice(world)).json()
    assert meta["rendition"] == {"state": "waiting", "pages": 0, "method": "", "reason": None}


def test_the_rendition_is_served_and_audited(world: World) -> None:
    _render_all(world)
    d1 = world.ids["D1"]
    answer = world.client.get(f"/api/documents/{d1}/rendition", headers=_alice(world))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline")
    assert answer.headers["x-content-type-options"] == "nosniff"
    text = PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
    assert "grandmother at the flat" in " ".join(text.split())
    meta = world.client.get(f"/api/documents/{d1}", headers=_alice(world)).json()
    assert meta["rendition"]["state"] == "made" and meta["rendition"]["pages"] >= 1
    with world.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.actor == "alice", AuditEvent.target_id == str(d1)
            )
        ).all()
    assert "view_rendition" in actions


def test_out_of_reach_renditions_answer_as_missing_documents(world: World) -> None:
    """Another team's (D2), on nobody yet (D3), a restricted class (D4), and no document:
    the same answer as the document's own routes, rendition made or not."""
    _render_all(world)
    for document_id in (world.ids["D2"], world.ids["D3"], world.ids["D4"], 999_999):
        answer = world.client.get(f"/api/documents/{document_id}/rendition", headers=_alice(world))
        assert answer.status_code == 404, document_id
        assert answer.json() == {"error": "NotFound", "detail": f"document {document_id} not found"}


def test_the_web_route_needs_a_session_and_keeps_the_same_rules(world: World) -> None:
    _render_all(world)
    client: TestClient = world.client
    d1, d2 = world.ids["D1"], world.ids["D2"]
    refused = client.get(f"/documents/{d1}/rendition", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    world.add_user("alice", "practitioner", ["team-a"])
    login = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "next": "/search"}
    )
    assert login.status_code == 200 and re.search(r'name="csrf"', login.text)
    mine = client.get(f"/documents/{d1}/rendition")
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    other = client.get(f"/documents/{d2}/rendition")
    missing = client.get("/documents/999999/rendition")
    assert other.status_code == missing.status_code == 404
    assert "grandmother" not in other.text
