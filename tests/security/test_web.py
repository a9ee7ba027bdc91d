"""Issue 11 items 7 and 11 on the served demo: the web pages' banner, files at rest, and (on a
second server run as production) the session cookie and login throttling."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.factories.served import PASSWORD, add_user, escr, free_port, serving
from tests.security.conftest import Demo, start_env
from tests.unit.access.conftest import write_jwks

SCRIPT = "<script>alert('escr')</script>"


def test_done_parameter_never_reaches_the_page(demo: Demo) -> None:
    web = demo.web("mig")
    for text in (SCRIPT, "Linked 500 documents to the wrong child"):
        answer = web.get("/migration/exceptions", params={"done": text})
        assert answer.status_code == 200
        assert "alert(" not in answer.text and "wrong child" not in answer.text
        assert 'class="panel success"' not in answer.text


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_catalog_and_blobs_are_private_to_the_service(demo: Demo) -> None:
    assert _private(demo.home / "catalog.sqlite")
    blobs = demo.home / "blobs"
    assert _private(blobs)  # a 0700 root seals the directories beneath it
    loose = [p for p in blobs.rglob("*") if p.is_file() and not _private(p)]
    assert loose == [], loose[:5]


def test_the_signing_key_is_private_to_the_service(demo: Demo) -> None:
    # Asking for the public key makes the key pair on first use.
    assert demo.client().get("/api/retention/public-key").status_code == 200
    keys = [p for p in (demo.home / "keys").iterdir() if p.is_file()]
    private = [p for p in keys if "PRIVATE" in p.read_text(errors="replace")]
    assert private and all(_private(p) for p in private), [
        (p.name, oct(p.stat().st_mode)) for p in keys
    ]


@dataclass
class Production:
    url: str
    home: Path
    client: httpx.Client

    def login(self, username: str, password: str) -> httpx.Response:
        return self.client.post("/login", data={"username": username, "password": password})

    def logins(self, action: str, actor: str) -> int:
        import sqlite3

        db = sqlite3.connect(f"file:{self.home / 'catalog.sqlite'}?mode=ro", uri=True)
        try:
            query = "SELECT count(*) FROM audit_events WHERE action = ? AND actor = ?"
            return int(db.execute(query, (action, actor)).fetchone()[0])
        finally:
            db.close()


@pytest.fixture(scope="module")
def production(
    tmp_path_factory: pytest.TempPathFactory, signing_key: rsa.RSAPrivateKey
) -> Iterator[Production]:
    """A second, empty server with environment=production over plain HTTP (as a misconfigured
    proxy would leave it), so the login attacks cannot lock the shared demo's users out."""
    base = tmp_path_factory.mktemp("production")
    jwks = base / "jwks.json"
    write_jwks(jwks, signing_key)
    env = start_env(
        base / "var", jwks, secrets.token_urlsafe(24), ESCR_API__ENVIRONMENT="production"
    )
    for username in ("worker", "victim"):
        add_user(env, username, ["practitioner"], ["Team A"])
    with serving(env) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        yield Production(url, base / "var", client)


def test_production_sends_the_session_cookie_secure(production: Production) -> None:
    answer = production.login("worker", PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert production.logins("login_ok", "worker") == 1


def test_production_refuses_the_placeholder_token(tmp_path: Path) -> None:
    env = start_env(tmp_path / "var", tmp_path / "none.json", "dev-token")
    env["ESCR_API__ENVIRONMENT"] = "production"
    done = escr(env, "serve", "--port", str(free_port()), check=False)
    assert done.returncode != 0
    assert "ESCR_API__TOKEN" in done.stdout + done.stderr


def test_repeated_wrong_passwords_are_throttled(production: Production) -> None:
    statuses = [production.login("victim", f"guess {n}").status_code for n in range(20)]
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert set(statuses[:first]) == {401} and set(statuses[first:]) == {429}, statuses
    # While throttled, the right password does not get in either: nothing was learnt.
    answer = production.login("victim", PASSWORD)
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert production.logins("login_failed", "victim") == first
    assert production.logins("login_throttled", "victim") >= len(statuses) - first + 1


def test_spraying_many_usernames_from_one_address_is_throttled(production: Production) -> None:
    statuses = [production.login(f"nobody-{n}", "password1").status_code for n in range(40)]
    assert 429 in statuses, statuses
