"""The CMS's side of the contract over plain HTTP (httpx): the same client drives the app in
process (FastAPI's TestClient is an httpx.Client) or a served escr (`escr serve`, scale-out)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx


@dataclass(frozen=True)
class Stored:
    """A document the CMS stored: its escr ID and where to follow it."""

    id: int
    status_url: str
    replayed: bool


class CmsClient:
    """One system's calls, as its service account, on behalf of one practitioner."""

    def __init__(self, http: httpx.Client, token: str, on_behalf_of: str = "") -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        if on_behalf_of:
            self.headers["X-On-Behalf-Of"] = on_behalf_of

    def as_user(self, on_behalf_of: str) -> CmsClient:
        token = self.headers["Authorization"].removeprefix("Bearer ")
        return CmsClient(self.http, token, on_behalf_of)

    def upload_response(
        self,
        person_id: str,
        content: bytes,
        file_name: str,
        metadata: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        return self.http.post(
            f"/api/people/{person_id}/documents",
            headers={**self.headers, "Idempotency-Key": key or uuid.uuid4().hex},
            files={"file": (file_name, content, "application/octet-stream")},
            data={"metadata": json.dumps(metadata or {})},
        )

    def upload(
        self,
        person_id: str,
        content: bytes,
        file_name: str,
        metadata: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Stored:
        """Store a document; the same `key` again is a safe retry."""
        response = self.upload_response(person_id, content, file_name, metadata, key)
        assert response.status_code == 202, response.text
        body = response.json()
        return Stored(body["id"], body["status_url"], body["replayed"])

    def new_version(self, document_id: int, content: bytes, file_name: str) -> httpx.Response:
        return self.http.post(
            f"/api/documents/{document_id}/versions",
            headers=self.headers,
            files={"file": (file_name, content, "application/octet-stream")},
        )

    def correct(self, document_id: int, **changes: Any) -> httpx.Response:
        return self.http.patch(f"/api/documents/{document_id}", headers=self.headers, json=changes)

    def status(self, document_id: int) -> dict[str, Any]:
        response = self.http.get(f"/api/documents/{document_id}/status", headers=self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_until_ended(self, document_id: int, timeout: float = 120.0) -> dict[str, Any]:
        """Poll the status URL until the document is indexed, quarantined or failed."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(document_id)
            if status["state"] in ("indexed", "quarantined", "failed"):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"document {document_id} still {status['state']}")
            time.sleep(0.1)

    def get(self, path: str, etag: str | None = None, **params: Any) -> httpx.Response:
        headers = dict(self.headers)
        if etag:
            headers["If-None-Match"] = etag
        return self.http.get(path, headers=headers, params=params)

    def documents_of(self, person_id: str, **params: Any) -> dict[str, Any]:
        response = self.get(f"/api/people/{person_id}/documents", **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def search(self, text: str, person_id: str) -> list[int]:
        response = self.get("/api/search", q=text, person=person_id)
        assert response.status_code == 200, response.text
        return [hit["document_id"] for hit in response.json()["hits"]]
