"""Who the API believes: only a token signed by the configured issuer, for this audience, not
expired, or the service token; never a header, a cookie, or an unsigned token. (Held up in the
issue's review; kept here so it keeps holding.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.security.conftest import NORTH, Demo
from tests.unit.access.conftest import AUDIENCE, ISSUER, Issuer


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "sub-mallory",
        "preferred_username": "ig1",
        "roles": ["ig_officer", "administrator"],
        "groups": [NORTH],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _hs256_with_public_key(demo: Demo) -> str:
    """The algorithm-confusion forgery: HMAC keyed with the issuer's public key (which anyone
    can fetch), for a verifier that lets the token choose its algorithm."""
    pem = demo.issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def part(value: dict[str, object]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + b"." + part(_claims())
    signature = base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature.rstrip(b"=")).decode()


def _forged(demo: Demo) -> dict[str, str]:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed = demo.issuer.key
    return {
        "another key": Issuer(stranger).token("ig1", ["ig_officer"], []),
        "alg none": jwt.encode(_claims(), key=None, algorithm="none"),
        "HS256 with the public key": _hs256_with_public_key(demo),
        "expired": jwt.encode(
            _claims(exp=int(time.time()) - 3600), signed, algorithm="RS256", headers={"kid": "k1"}
        ),
        "other audience": jwt.encode(
            _claims(aud="another-app"), signed, algorithm="RS256", headers={"kid": "k1"}
        ),
        "other issuer": jwt.encode(
            _claims(iss="https://evil.example/"), signed, algorithm="RS256", headers={"kid": "k1"}
        ),
        "no expiry": jwt.encode(
            _claims(exp=None), signed, algorithm="RS256", headers={"kid": "k1"}
        ),
        "the service token's prefix": demo.service_token[:-1],
    }


def test_forged_and_stale_tokens_are_401(demo: Demo) -> None:
    client = demo.client()
    for name, token in _forged(demo).items():
        answer = client.get("/api/search", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, (name, answer.status_code)
        assert answer.headers.get("www-authenticate", "").lower().startswith("bearer"), name


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic aWcxOnBhc3N3b3Jk"},
        {"Authorization": "Bearer"},
        {"X-Escr-User": "ig1"},
    ],
)
def test_no_bearer_no_answer(demo: Demo, headers: dict[str, str]) -> None:
    answer = demo.client().get("/api/search", headers=headers)
    assert answer.status_code == 401


def test_a_web_session_cookie_does_not_open_the_api(demo: Demo) -> None:
    # The API takes no cookie, so another site's page cannot make a browser call it.
    web = demo.web("sw-north")
    assert web.get("/search").status_code == 200
    assert web.get("/api/search").status_code == 401


def test_a_form_without_the_csrf_token_changes_nothing(demo: Demo) -> None:
    web = demo.web("sw-north")
    person = demo.team_people(NORTH)[0]
    answer = web.post(
        f"/people/{person}/break-glass",
        data={"csrf": "forged", "reason": "Duty call: child at risk tonight", "minutes": "30"},
    )
    assert answer.status_code == 403
    assert demo.count("SELECT count(*) FROM access_break_glass WHERE username = 'sw-north'") == 0
