"""Authentication: OIDC bearer tokens, the static service token, and local web sessions.

Each ends in the same thing, a Caller from records/access.py; what a caller may see is decided
there and nowhere here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import delete
from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit, login_throttle
from catalog.models_access import User, WebSession
from core.clock import utcnow
from core.errors import EscrError
from core.settings import AuthSettings, Settings
from records.access import Caller, resolve_caller, service_caller

SESSION_COOKIE = "escr_session"
SERVICE_ACCOUNT = "api:token"  # the actor of everything done with the static token


class NotAuthenticated(EscrError):
    """No valid credentials: the API answers 401, the web pages send the browser to log in."""


class OidcVerifier:
    """Validates an issuer's JWTs: signature by the JWKS, issuer, audience, expiry."""

    def __init__(self, auth: AuthSettings) -> None:
        self.auth = auth
        self._client = jwt.PyJWKClient(auth.jwks_url, lifespan=300) if auth.jwks_url else None
        self._keys: jwt.PyJWKSet | None = None
        if auth.jwks_path:
            self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(auth.jwks_path).read_text()))

    def _key(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError(f"no key {kid!r} in the issuer's key set")

    def claims(self, token: str) -> dict[str, Any]:
        try:
            decoded: dict[str, Any] = jwt.decode(
                token,
                self._key(token),
                algorithms=self.auth.algorithms,
                audience=self.auth.audience,
                issuer=self.auth.issuer,
                leeway=self.auth.leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise NotAuthenticated(f"the bearer token is not valid: {exc}") from exc
        return decoded


def _claim_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def bearer_caller(
    session: Session,
    settings: Settings,
    verifier: OidcVerifier | None,
    token: str,
) -> Caller:
    """The static token is an administrator service account for scripts; anything else must be
    an OIDC token from the configured issuer.

    The service account's name is fixed: no header may name someone else, so the audit and
    the separation of duties see who actually authenticated."""
    if token and hmac.compare_digest(token.encode(), settings.api.token.encode()):
        return service_caller(SERVICE_ACCOUNT)
    if verifier is None or not token:
        raise NotAuthenticated("a valid bearer token is required")
    claims = verifier.claims(token)
    username = str(claims.get(settings.auth.username_claim) or claims.get("sub") or "")
    if not username:
        raise NotAuthenticated(f"the token has no {settings.auth.username_claim!r} claim")
    if rows.is_reserved_name(username):
        raise NotAuthenticated("the token's username is one of escr's own account names")
    return resolve_caller(
        session,
        username,
        roles=_claim_list(claims.get(settings.auth.roles_claim)),
        teams=_claim_list(claims.get(settings.auth.teams_claim)),
        now=utcnow(),
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WebLogin:
    caller: Caller
    csrf_token: str


class LoginThrottled(NotAuthenticated):
    """Too many failed logins for this username or address: the password was not even checked."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many attempts, try again in {seconds} seconds")
        self.retry_after_s = seconds


# A longer name cannot exist (access_users.username) and would not fit the audit actor.
USERNAME_MAX = 100


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check unknown users' passwords against: made once per process, so an unknown
    username costs one scrypt check like a known one, not a hash and a check."""
    return rows.hash_password(secrets.token_urlsafe(16))


def _refusal_reason(user: User | None) -> str:
    if user is None:
        return "unknown_user"
    if not user.active:
        return "inactive"
    return "wrong_password" if user.password_hash else "no_password"


def log_in(
    session: Session, settings: Settings, username: str, password: str, *, address: str = ""
) -> str:
    """A new session for a local user whose password matches; returns the cookie's token.

    Every attempt is audited under the name tried, good or bad. The caller must commit even
    when this raises: the failure count and its audit event are the point of a refusal."""
    now = utcnow()
    # PostgreSQL text cannot hold NUL; no real username has one, so it only has to not crash.
    name = username[:USERNAME_MAX].replace("\x00", "\ufffd")
    wait = login_throttle.seconds_to_wait(session, name, address, now)
    if wait:
        _audit_login(session, name, "login_throttled", address, retry_after_s=wait)
        raise LoginThrottled(wait)
    user = session.get(User, name)
    stored = user.password_hash if user is not None and user.active else ""
    # One scrypt check whoever the user is, so the time taken does not say which names exist.
    ok = rows.verify_password(password, stored or _dummy_hash())
    if user is None or not stored or not ok:
        login_throttle.record_failure(session, name, address, now)
        _audit_login(session, name, "login_failed", address, reason=_refusal_reason(user))
        raise NotAuthenticated("unknown username or wrong password")
    login_throttle.clear_username(session, name)
    _audit_login(session, name, "login_ok", address)
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_token_hash(token),
        username=name,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(hours=settings.auth.session_hours),
    )
    session.add(row)
    session.flush()
    return token


def _audit_login(session: Session, name: str, action: str, address: str, **detail: Any) -> None:
    """One login attempt in the audit log (never the password)."""
    audit.record(
        session,
        actor=name,
        action=action,
        target_type="user",
        target_id=name,
        detail={"address": address, **detail},
    )


def log_out(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


def session_login(session: Session, token: str) -> WebLogin:
    """The Caller behind a session cookie; roles, teams and grants as they stand now."""
    row = session.get(WebSession, _token_hash(token)) if token else None
    now = utcnow()
    if row is None or row.expires_at <= now:
        raise NotAuthenticated("please log in")
    user = session.get(User, row.username)
    if user is None or not user.active:
        raise NotAuthenticated("please log in")
    caller = resolve_caller(
        session,
        user.username,
        roles=[str(r) for r in user.roles],
        teams=rows.teams_of(session, user.username),
        now=now,
    )
    return WebLogin(caller=caller, csrf_token=row.csrf_token)
