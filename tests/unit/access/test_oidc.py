"""OIDC bearer tokens are checked against the issuer's keys, issuer, audience and expiry; the
static token stays an administrator service account for scripts."""

from __future__ import annotations

import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.unit.access.conftest import ADMIN, World


def _status(world: World, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return world.client.get("/api/search", params={"q": "visit"}, headers=headers).status_code


def test_a_valid_token_is_accepted_with_its_roles_and_teams(world: World) -> None:
    assert _status(world, world.issuer.token("alice", ["practitioner"], ["team-a"])) == 200


def test_bad_tokens_are_refused(world: World) -> None:
    issuer = world.issuer
    now = int(time.time())
    assert _status(world, issuer.token("a", ["practitioner"], [], aud="someone-else")) == 401
    assert _status(world, issuer.token("a", ["practitioner"], [], iss="https://evil.test")) == 401
    expired = issuer.token("a", ["practitioner"], [], exp=now - 3600, iat=now - 7200)
    assert _status(world, expired) == 401
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": "x", "aud": "escr-api", "exp": now + 60, "preferred_username": "a"},
        stranger,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert _status(world, forged) == 401
    unsigned = jwt.encode({"preferred_username": "a"}, "", algorithm="none")
    assert _status(world, unsigned) == 401
    assert _status(world, "not-a-jwt") == 401
    assert world.client.get("/api/search").status_code == 401


def test_unknown_roles_grant_nothing(world: World) -> None:
    headers = world.issuer.headers("mallory", ["superuser", "Administrator"], ["team-a"])
    assert world.client.get("/api/exceptions", headers=headers).status_code == 403


def test_the_static_token_is_an_administrator(world: World) -> None:
    assert world.client.get("/api/exceptions", headers=ADMIN).status_code == 200
    assert world.client.get("/api/people/MOS2/documents", headers=ADMIN).status_code == 200


def test_no_known_role_sees_nobody(world: World) -> None:
    headers = world.issuer.headers("mallory", ["superuser"], ["team-a"])
    found = world.client.get("/api/search", params={"q": "grandmother"}, headers=headers).json()
    assert found["total"] == 0
