"""A loaded two-team archive, local users, and an OIDC issuer whose keys are a local JWKS file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from catalog import access as rows
from catalog.db import session_factory
from catalog.models import Document
from core.settings import Settings, get_settings
from tests.factories.teams import ALLOCATIONS, make_teams_archive
from workers.load import load_archive

ISSUER = "https://login.example.test/tenant"
AUDIENCE = "escr-api"
ADMIN = {"Authorization": "Bearer dev-token"}


@dataclass
class Issuer:
    key: rsa.RSAPrivateKey

    def token(self, username: str, roles: list[str], teams: list[str], **extra: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": f"sub-{username}",
            "preferred_username": username,
            "roles": roles,
            "groups": teams,
            "iat": now,
            "exp": now + 600,
            **extra,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})

    def headers(self, username: str, roles: list[str], teams: Sequence[str] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, roles, list(teams))}"}


@dataclass
class World:
    client: TestClient
    settings: Settings
    issuer: Issuer
    ids: dict[str, int]  # source document ID -> document ID

    def session(self) -> Session:
        return session_factory(self.settings.database_url)()


def write_jwks(path: Path, key: rsa.RSAPrivateKey) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def world(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, rsa_key)
    monkeypatch.setenv("ESCR_AUTH__ISSUER", ISSUER)
    monkeypatch.setenv("ESCR_AUTH__AUDIENCE", AUDIENCE)
    monkeypatch.setenv("ESCR_AUTH__JWKS_PATH", str(jwks))
    get_settings.cache_clear()
    configured = get_settings()
    manifest = make_teams_archive(tmp_path / "archive")
    load_archive(
        configured,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        progress=False,
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    with session_factory(configured.database_url)() as session:
        for person_id, team in ALLOCATIONS:
            rows.allocate(
                session, person_id=person_id, team=team, source="test", actor="t", now=now
            )
        ids = {d.source_document_id: d.id for d in session.scalars(select(Document))}
        session.commit()
    with TestClient(create_app()) as client:
        yield World(client, configured, Issuer(rsa_key), ids)
