"""The retention routes answer through the same functions as the CLI."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from catalog.schema import migrate
from core.settings import Settings

AUTH = {"Authorization": "Bearer dev-token"}


def test_hold_sweep_and_audit_routes(settings: Settings) -> None:
    migrate(settings.database_url)
    with TestClient(create_app()) as client:
        made = client.post(
            "/api/holds",
            json={
                "name": "Inquiry",
                "reason_type": "inquiry",
                "authority": "rule 9",
                "classes": ["looked_after_child"],
            },
            headers=AUTH,
        )
        assert made.status_code == 200 and made.json()["matched_now"] == 0
        assert [h["name"] for h in client.get("/api/holds", headers=AUTH).json()] == ["Inquiry"]
        swept = client.post("/api/retention/sweep", json={}, headers=AUTH)
        assert swept.json()["proposal_id"] is None
        assert client.get("/api/audit/verify", headers=AUTH).json()["intact"] is True
        assert client.get("/api/retention/public-key", headers=AUTH).text.startswith("-----BEGIN")
        bad = client.post(
            "/api/holds", json={"name": "x", "reason_type": "whim", "authority": "a"}, headers=AUTH
        )
        assert bad.status_code == 422
