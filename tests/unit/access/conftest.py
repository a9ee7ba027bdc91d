"""A loaded two-team archive, local users, and an OIDC issuer whose keys are a local JWKS file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
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
from core.clock import utcnow
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


PASSWORD = "correct horse battery"  # the web users' password in these tests


@dataclass
class World:
    client: TestClient
    settings: Settings
    issuer: Issuer
    ids: dict[str, int]  # source document ID -> document ID

    def session(self) -> Session:
        return session_factory(self.settings.database_url)()

    def add_user(
        self, username: str, role: str, teams: Sequence[str], password: str = PASSWORD
    ) -> None:
        """A local user who logs in through the web form with `password`."""
        with self.session() as session:
            rows.upsert_user(
                session,
                username=username,
                roles=[role],
                teams=list(teams),
                password=password,
                now=utcnow(),
            )
            session.commit()


def write_jwks(path: Path, key: rsa.RSAPrivateKey) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rsa_key: rsa.RSAPrivateKey,
    extend: Callable[[Path], None] | None = None,
) -> Iterator[World]:
    """Load the teams archive (after `extend` adds to it), allocate its people, serve the app."""
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, rsa_key)
    monkeypatch.setenv("ESCR_AUTH__ISSUER", ISSUER)
    monkeypatch.setenv("ESCR_AUTH__AUDIENCE", AUDIENCE)
    monkeypatch.setenv("ESCR_AUTH__JWKS_PATH", str(jwks))
    get_settings.cache_clear()
    configured = get_settings()
    manifest = make_teams_archive(tmp_path / "archive")
    if extend is not None:
        extend(manifest)
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


@pytest.fixture
def world(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, rsa_key)


def add_emails(manifest: Path) -> None:
    """Emails with a text attachment each: E1 on Ann (team A), E2 on Ben (team B), E3 on nobody
    (the exception queue's); only the attachments hold the words `marmalade` (E1's),
    `porcupine` (E2's) and `kumquat` (E3's)."""
    emails = (
        ("E1", "100", "Trampoline", "marmalade"),
        ("E2", "200", "Swings", "porcupine"),
        ("E3", "", "Slide", "kumquat"),
    )
    for source_id, legacy_id, subject, word in emails:
        message = EmailMessage()
        message["From"] = "School <office@school.example>"
        message["To"] = "duty@council.example"
        message["Subject"] = f"{subject} incident"
        message["Date"] = "Wed, 02 Mar 2022 10:00:00 +0000"
        message.set_content(f"Please see the attached note about the {subject.lower()}.")
        message.add_attachment(
            f"Attached note: the {subject.lower()} incident, {word} on the grass.\n".encode(),
            maintype="text",
            subtype="plain",
            filename=f"{subject.lower()}-note.txt",
        )
        path = manifest.parent / "files" / f"{source_id}.eml"
        path.write_bytes(bytes(message))
        with manifest.open("a", encoding="utf-8") as handle:
            handle.write(
                f"PARIS,{source_id},{legacy_id},files/{source_id}.eml,{subject} email,EMAIL,"
                "2022-03-02,\n"
            )


@pytest.fixture
def family_world(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    """The teams archive with emails whose attachments are child documents (`E1#attachment-1`)."""
    yield from _world(tmp_path, monkeypatch, rsa_key, add_emails)
