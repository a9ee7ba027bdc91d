from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from catalog.db import session_factory
from catalog.models import AuditEvent
from core.settings import Settings
from tests.factories.tiny import FILES, make_tiny_archive
from workers.load import load_archive

AUTH = {"Authorization": "Bearer dev-token"}


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    manifest = make_tiny_archive(tmp_path / "archive")
    summary = load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        progress=False,
    )
    with TestClient(create_app()) as client:
        yield client, summary


def _audit_actions(settings: Settings) -> list[str]:
    with session_factory(settings.database_url)() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_token_required(loaded: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = loaded
    assert client.get("/api/search", params={"q": "visit"}).status_code == 401
    assert client.get("/api/search", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_search_document_text_content_and_audit(
    settings: Settings, loaded: tuple[TestClient, dict[str, Any]]
) -> None:
    client, _ = loaded
    found = client.get("/api/search", params={"q": "grandmother"}, headers=AUTH).json()
    assert found["total"] == 3
    assert all("<mark>" in h["highlights"][0].lower() for h in found["hits"])
    assert found["facets"]["doc_type"] == {"case_note": 1, "care_plan": 1, "correspondence": 1}
    only_ann = client.get(
        "/api/search", params={"q": "grandmother", "person": "MOS1"}, headers=AUTH
    ).json()
    assert {h["source_document_id"] for h in only_ann["hits"]} == {"D1", "D2"}

    hit = next(h for h in found["hits"] if h["source_document_id"] == "D1")
    meta = client.get(f"/api/documents/{hit['document_id']}", headers=AUTH).json()
    assert meta["doc_type"] == "case_note" and meta["person_ids"] == ["MOS1"]
    assert "crosswalk PARIS:100" in meta["links"][0]["reason"]
    text = client.get(f"/api/documents/{hit['document_id']}/text", headers=AUTH).text
    assert "grandmother at the flat" in text
    content = client.get(f"/api/documents/{hit['document_id']}/content", headers=AUTH)
    assert content.content == FILES["files/visit.txt"].encode()

    assert _audit_actions(settings) == ["search", "search", "view", "view_text", "download"]


def test_chronology_newest_first_and_missing_things_are_404(
    loaded: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = loaded
    chronology = client.get("/api/people/MOS1/documents", headers=AUTH).json()
    assert [d["document_date"] for d in chronology["documents"]] == ["2021-06-01", "2020-03-01"]
    assert client.get("/api/people/NOPE/documents", headers=AUTH).status_code == 404
    assert client.get("/api/documents/99999", headers=AUTH).status_code == 404


def test_reconciliation_and_exception_queue(loaded: tuple[TestClient, dict[str, Any]]) -> None:
    client, summary = loaded
    recon = client.get(f"/api/batches/{summary['batch']}/reconciliation", headers=AUTH).json()
    assert (recon["rows"], recon["indexed"], recon["linked"], recon["unlinked"]) == (3, 3, 2, 1)
    assert recon["unaccounted"] == 0
    queue = client.get("/api/exceptions", headers=AUTH).json()
    assert [(q["source_document_id"], q["kind"]) for q in queue] == [("D3", "no_legacy_id")]
