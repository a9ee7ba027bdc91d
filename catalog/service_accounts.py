"""Service accounts and their API keys: create, list, rotate, revoke, authenticate
(docs/decisions/0037-cms-identity.md). Functions take a session and do not commit."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models_service import ServiceAccount, ServiceKey
from core.errors import Conflict, InvalidInput, NotFound

# What a service account may be allowed to do; each scoped route names one (api/deps.py
# require_scope). Read covers a person's documents, their metadata, text, original and
# rendition; write covers uploads, new versions and metadata corrections.
SCOPES = (
    "documents:read",
    "documents:write",
    "people:events",
    "webhooks:manage",
)
KEY_PREFIX = "escr_"
# escr_<12 hex>_<43 url-safe characters>: the key ID finds the row, the secret proves it.
_KEY_FORMAT = re.compile(r"^escr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,59}$")
# How long an old key keeps working after a rotation, unless said otherwise.
DEFAULT_GRACE = timedelta(hours=24)
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `token` is shown once and never stored."""

    key_id: str
    token: str


def _secret_hash(secret: str) -> str:
    # A random 256-bit secret needs no slow hash: nobody can guess it from its SHA-256.
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope {', '.join(unknown)}; scopes: {', '.join(SCOPES)}")
    if not wanted:
        raise InvalidInput(f"an account needs at least one scope of: {', '.join(SCOPES)}")
    return wanted


def get_account(session: Session, name: str) -> ServiceAccount:
    account = session.get(ServiceAccount, name)
    if account is None:
        raise NotFound(f"service account {name!r} not found")
    return account


def create_account(
    session: Session,
    *,
    name: str,
    scopes: Iterable[str],
    description: str = "",
    oidc_client_id: str | None = None,
    actor: str,
    now: datetime,
) -> tuple[ServiceAccount, IssuedKey | None]:
    """A new account; with an escr key unless it authenticates by its IdP client ID only."""
    if not _NAME.match(name):
        raise InvalidInput(
            "a service account's name is 2-60 lower-case letters, digits and '-', "
            "starting with a letter (e.g. mosaic, liquidlogic-test)"
        )
    if session.get(ServiceAccount, name) is not None:
        raise Conflict(f"service account {name!r} exists")
    if oidc_client_id and account_for_client(session, oidc_client_id) is not None:
        raise Conflict(f"client ID {oidc_client_id!r} is mapped to another account")
    account = ServiceAccount(
        name=name,
        description=description,
        scopes=check_scopes(scopes),
        oidc_client_id=oidc_client_id or None,
        active=True,
        created_by=actor,
        created_at=now,
    )
    session.add(account)
    session.flush()
    issued = None if oidc_client_id else issue_key(session, name, now=now)
    return account, issued


def issue_key(session: Session, account: str, *, now: datetime) -> IssuedKey:
    get_account(session, account)
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    session.add(
        ServiceKey(
            key_id=key_id, account=account, secret_sha256=_secret_hash(secret), created_at=now
        )
    )
    session.flush()
    return IssuedKey(key_id=key_id, token=f"{KEY_PREFIX}{key_id}_{secret}")


def live_keys(session: Session, account: str, now: datetime) -> list[ServiceKey]:
    keys = session.scalars(
        select(ServiceKey).where(ServiceKey.account == account).order_by(ServiceKey.created_at)
    )
    return [k for k in keys if _live(k, now)]


def _live(key: ServiceKey, now: datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def rotate(
    session: Session, account: str, *, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> IssuedKey:
    """A new key; the keys live now keep working for `grace` (the CMS swaps meanwhile)."""
    for key in live_keys(session, account, now):
        if key.expires_at is None or key.expires_at > now + grace:
            key.expires_at = now + grace
    return issue_key(session, account, now=now)


def revoke_key(session: Session, key_id: str, *, now: datetime) -> ServiceKey:
    key = session.get(ServiceKey, key_id)
    if key is None:
        raise NotFound(f"key {key_id!r} not found")
    if key.revoked_at is None:
        key.revoked_at = now
    return key


def set_active(session: Session, account: str, active: bool) -> ServiceAccount:
    """Revoke (or restore) an account: none of its keys or tokens reach anything meanwhile."""
    row = get_account(session, account)
    row.active = active
    return row


def set_scopes(session: Session, account: str, scopes: Iterable[str]) -> ServiceAccount:
    row = get_account(session, account)
    row.scopes = check_scopes(scopes)
    return row


def list_accounts(session: Session) -> Sequence[ServiceAccount]:
    return session.scalars(select(ServiceAccount).order_by(ServiceAccount.name)).all()


def keys_of(session: Session, account: str) -> Sequence[ServiceKey]:
    return session.scalars(
        select(ServiceKey).where(ServiceKey.account == account).order_by(ServiceKey.created_at)
    ).all()


def is_service_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def account_for_key(session: Session, token: str, now: datetime) -> tuple[ServiceAccount, str]:
    """The active account a live key belongs to, and the key's ID; NotFound otherwise (the
    caller answers 401 without saying which part was wrong)."""
    match = _KEY_FORMAT.match(token)
    key = session.get(ServiceKey, match.group(1)) if match else None
    if match is None or key is None:
        raise NotFound("unknown API key")
    # Compared in constant time, though the secret's hash would not help a guesser anyway.
    if not hmac.compare_digest(key.secret_sha256, _secret_hash(match.group(2))):
        raise NotFound("unknown API key")
    if not _live(key, now):
        raise NotFound("the API key was revoked or has expired")
    account = session.get(ServiceAccount, key.account)
    if account is None or not account.active:
        raise NotFound("the API key's service account is revoked")
    # Noted once a minute at most: a write on every call would make each read a writer.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        key.last_used_at = now
    return account, key.key_id


def account_for_client(session: Session, client_id: str) -> ServiceAccount | None:
    """The account an IdP client ID (client credentials) is mapped to, if any."""
    return session.scalar(select(ServiceAccount).where(ServiceAccount.oidc_client_id == client_id))
