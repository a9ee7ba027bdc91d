"""The attack suite's target: a served demo, as an attacker meets it.

A small synthetic archive loaded and allocated by the CLI, local users with passwords, an OIDC
issuer whose keys are a local JWKS file (so practitioners and IG officers hold real signed
tokens), a secret service token, and `escr serve` on a free loopback port. One server for the
whole suite; every request goes over a real socket with httpx."""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.factories.served import PASSWORD, add_user, clean_env, escr, load_synthetic, serving
from tests.unit.access.conftest import AUDIENCE, ISSUER, Issuer, write_jwks

# The synthetic archive's teams (tests/factories/served.load_synthetic, seed 5).
NORTH = "North Locality Team"
ADULTS = "Adult Community Team East"
USERS: dict[str, tuple[list[str], list[str]]] = {
    "ig1": (["ig_officer"], []),
    "ig2": (["ig_officer"], []),
    "sw-north": (["practitioner"], [NORTH]),
    "sw-adults": (["practitioner"], [ADULTS]),
    "mig": (["migration_officer"], []),
}


@dataclass
class Demo:
    url: str
    env: dict[str, str]
    home: Path
    people: list[dict[str, str]]
    issuer: Issuer
    service_token: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        made = httpx.Client(base_url=self.url, headers=headers or {}, timeout=60)
        self.clients.append(made)
        return made

    def service(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.service_token}", **extra}

    def as_user(self, username: str) -> dict[str, str]:
        """A signed OIDC token for one of USERS, with their roles and teams."""
        roles, teams = USERS[username]
        return self.issuer.headers(username, roles, teams)

    def team_people(self, team: str) -> list[str]:
        return [p["person_id"] for p in self.people if p["team"] == team]

    def web(self, username: str, password: str = PASSWORD) -> httpx.Client:
        """A browser-like client logged in to the web pages (session cookie)."""
        client = self.client()
        answer = client.post("/login", data={"username": username, "password": password})
        assert answer.status_code == 303, answer.text[:300]
        return client

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the catalog directly (read-only): what the server really did, not what it said."""
        db = sqlite3.connect(f"file:{self.home / 'catalog.sqlite'}?mode=ro", uri=True)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def count(self, sql: str, *params: Any) -> int:
        return int(self.rows(sql, *params)[0][0])

    def alive(self) -> bool:
        return self.client().get("/healthz").status_code == 200

    def escr(self, *args: str, stdin: str | None = None) -> tuple[int, str]:
        done = escr(self.env, *args, stdin=stdin, check=False)
        return done.returncode, done.stdout + done.stderr


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def start_env(home: Path, jwks: Path, token: str, **extra: str) -> dict[str, str]:
    return clean_env(
        home,
        ESCR_API__TOKEN=token,
        ESCR_AUTH__ISSUER=ISSUER,
        ESCR_AUTH__AUDIENCE=AUDIENCE,
        ESCR_AUTH__JWKS_PATH=str(jwks),
        **extra,
    )


def add_users(env: dict[str, str], users: Sequence[str]) -> None:
    for username in users:
        roles, teams = USERS[username]
        add_user(env, username, roles, teams)


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def demo(
    tmp_path_factory: pytest.TempPathFactory, signing_key: rsa.RSAPrivateKey
) -> Iterator[Demo]:
    base = tmp_path_factory.mktemp("attack")
    jwks = base / "jwks.json"
    write_jwks(jwks, signing_key)
    token = secrets.token_urlsafe(24)
    env = start_env(base / "var", jwks, token)
    people = load_synthetic(env, base / "archive")
    add_users(env, list(USERS))
    with serving(env) as (url, _):
        target = Demo(url, env, base / "var", people, Issuer(signing_key), token)
        try:
            yield target
        finally:
            for client in target.clients:
                client.close()
