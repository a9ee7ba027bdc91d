"""Service accounts at the API's door: who a bearer token is, what it may do, and on whose
behalf (docs/decisions/0037-cms-identity.md).

A case management system authenticates as its service account, with an escr-issued API key
or an OAuth2 client-credentials token from the council's identity provider whose client ID is
mapped to the account, and names the practitioner it acts for in `X-On-Behalf-Of`. The
Caller it gets is that practitioner's access exactly as the web resolves it
(records.access.resolve_caller), under the system's name: every audit event says
"actor svc:mosaic, on behalf of jsmith", and the account's scopes bound what it may call.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from api.auth import NotAuthenticated, OidcVerifier, bearer_caller
from catalog import access as rows
from catalog import audit
from catalog import service_accounts as accounts
from catalog.models_access import User
from catalog.models_service import ServiceAccount
from core.clock import utcnow
from core.errors import NotFound
from core.settings import Settings
from records.access import TEAM_ROLES, Caller, resolve_caller

ON_BEHALF_OF = "X-On-Behalf-Of"
ACTOR_PREFIX = "svc:"  # an account's name in the audit log: svc:mosaic
# Claims an IdP puts its client's ID in on a client-credentials token: Entra v2 (azp), Entra
# v1 (appid), RFC 9068 and most others (client_id).
CLIENT_ID_CLAIMS = ("azp", "appid", "client_id")


@dataclass(frozen=True)
class Principal:
    """Who authenticated: a person or the static token (`account` empty), or a service
    account with its scopes and the key or client that proved it."""

    caller: Caller | None  # None for a service account until X-On-Behalf-Of is resolved
    account: str = ""
    scopes: frozenset[str] = frozenset()
    credential: str = ""  # "key:<key ID>" or "client:<client ID>"

    @property
    def actor(self) -> str:
        return f"{ACTOR_PREFIX}{self.account}"


def client_id(claims: dict[str, Any]) -> str:
    for name in CLIENT_ID_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def delegated(claims: dict[str, Any]) -> bool:
    """A token a user got through an app (delegated), not the app's own (client credentials):
    it carries the user's granted scopes in `scp` (Entra ID, Okta) or says so (`idtyp`). Its
    client may be the CMS's own app: it is still its user's, never the system's, or its holder
    could name anyone in X-On-Behalf-Of. IdPs that write delegated scopes in `scope` alone
    (Keycloak, Auth0) are not told apart here: map a client that users sign in through to no
    account (docs/decisions/0042)."""
    return "scp" in claims or claims.get("idtyp") == "user"


def _service(account: ServiceAccount, credential: str) -> Principal:
    return Principal(
        caller=None,
        account=account.name,
        scopes=frozenset(str(s) for s in account.scopes),
        credential=credential,
    )


def bearer_principal(
    session: Session, settings: Settings, verifier: OidcVerifier | None, token: str
) -> Principal:
    """The principal behind a bearer token; NotAuthenticated when it is nobody."""
    if accounts.is_service_key(token):
        try:
            account, key_id = accounts.account_for_key(session, token, utcnow())
        except NotFound as exc:
            raise NotAuthenticated(str(exc)) from exc
        return _service(account, f"key:{key_id}")
    static = hmac.compare_digest(token.encode(), settings.api.token.encode())
    if verifier is not None and token and not static:
        claims = verifier.claims(token)
        client = "" if delegated(claims) else client_id(claims)
        account_row = accounts.account_for_client(session, client) if client else None
        if account_row is not None:
            if not account_row.active:
                raise NotAuthenticated("the token's service account is revoked")
            return _service(account_row, f"client:{client}")
    return Principal(caller=bearer_caller(session, settings, verifier, token))


def _refuse(session: Session, principal: Principal, what: str, why: str) -> NoReturn:
    """A service account refused (403), audited and committed though the request fails."""
    audit.refuse(
        session,
        actor=principal.actor,
        target_type="function",
        target_id=what,
        why=why,
        detail={"credential": principal.credential},
    )


def service_caller_for(
    session: Session, principal: Principal, scopes: tuple[str, ...], on_behalf_of: str, what: str
) -> Caller:
    """The Caller of a service account's call to a route that needs one of `scopes`: the named
    practitioner's access under the system's name. Refused (403, audited) without the scope,
    without a practitioner, or for one escr does not know as an active local user (whose
    roles and teams are what their access is made of), or for one with no case-work role
    (practitioner, team manager): only those roles go with the system."""
    if not principal.scopes.intersection(scopes):
        _refuse(
            session, principal, what, f"the service account lacks the scope {' or '.join(scopes)}"
        )
    name = on_behalf_of.strip()
    if not name:
        _refuse(session, principal, what, f"a service account must name its user in {ON_BEHALF_OF}")
    user = session.get(User, name)
    if user is None or not user.active:
        _refuse(session, principal, what, f"{ON_BEHALF_OF} names no active escr user")
    assert user is not None
    # A system acts with case work's access only: a console or governance role (which sees
    # every person, every restricted class, the queue) would make any key an all-seeing one.
    roles = [str(r) for r in user.roles if r in TEAM_ROLES]
    if not roles:
        _refuse(session, principal, what, f"{ON_BEHALF_OF} names no practitioner or team manager")
    person = resolve_caller(
        session,
        user.username,
        roles=roles,
        teams=rows.teams_of(session, user.username),
        now=utcnow(),
    )
    # The practitioner's access, the system's name: never a reviewer (service=True).
    return replace(person, user_id=principal.actor, on_behalf_of=user.username, service=True)


def refuse_unscoped(session: Session, principal: Principal, what: str) -> None:
    """A route that names no scope is not open to service accounts (403, audited)."""
    _refuse(session, principal, what, "this route is not open to service accounts")
