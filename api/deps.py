"""Typed dependencies: settings, a catalog session per request, backends, the caller.

FastAPI caches a dependency per request, so the caller and the route share one session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Annotated

from fastapi import Cookie, Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import NotAuthenticated, OidcVerifier, WebLogin, session_login
from api.service_auth import (
    ON_BEHALF_OF,
    Principal,
    bearer_principal,
    refuse_unscoped,
    service_caller_for,
)
from catalog.db import unit_of_work, write_first
from catalog.service_accounts import is_service_key
from core.settings import Settings, get_settings
from indexer.base import SearchIndex
from records.access import Caller, require_person, require_role
from storage.base import BlobStore


def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


def session_dep(settings: SettingsDep) -> Iterator[Session]:
    """A session whose work (the audit of each read) commits when the route succeeds."""
    with unit_of_work(settings.database_url) as session:
        yield session


# scope="function" commits before the response goes out. FastAPI's default runs the exit code
# after the response is sent, so a browser following the login redirect could arrive before
# its session row was committed and be sent back to the login page (seen once in CI).
SessionDep = Annotated[Session, Depends(session_dep, scope="function")]


def index_dep(request: Request, settings: SettingsDep) -> SearchIndex:
    """One index client per app, made on first use (start-up stays cheap)."""
    if getattr(request.app.state, "index", None) is None:
        from indexer.factory import make_index

        request.app.state.index = make_index(settings)
    index: SearchIndex = request.app.state.index
    return index


def store_dep(request: Request, settings: SettingsDep) -> BlobStore:
    if getattr(request.app.state, "store", None) is None:
        from storage.factory import make_blob_store

        request.app.state.store = make_blob_store(settings)
    store: BlobStore = request.app.state.store
    return store


def _verifier(request: Request, settings: Settings) -> OidcVerifier | None:
    """One OIDC verifier per app (it caches the issuer's keys); None while OIDC is off."""
    if not settings.auth.issuer:
        return None
    if getattr(request.app.state, "oidc", None) is None:
        request.app.state.oidc = OidcVerifier(settings.auth)
    verifier: OidcVerifier = request.app.state.oidc
    return verifier


# Declared as a security scheme so the OpenAPI document (and /docs's Authorize) names it.
_bearer = HTTPBearer(
    scheme_name="bearer",
    description="An OIDC access token, a service account's API key (escr_...) or client-"
    "credentials token, or the development token (ESCR_API__TOKEN).",
    auto_error=False,
)


def principal_dep(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    """Who `Authorization: Bearer` says is calling: an OIDC user, the static token, or a
    service account (an escr API key, or an IdP client-credentials token mapped to one).

    The API takes no cookie, so a page on another site cannot make a browser call it."""
    if credentials is None:
        raise HTTPException(
            status_code=401,
            detail="a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = credentials.credentials
    if is_service_key(token):
        # A key's call writes its last use after reading the key, and its route writes: begun
        # as a writer, or SQLite refuses that write once the upload runner has committed
        # since the read (catalog.db.write_first). Persons' reads stay readers.
        write_first(session)
    try:
        return bearer_principal(session, settings, _verifier(request, settings), token)
    except NotAuthenticated as exc:
        raise HTTPException(
            status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc


def caller_dep(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(principal_dep)],
) -> Caller:
    """The caller of a route that names no scope: a person or the static token. A service
    account is refused here (403, audited): it reaches only routes that name a scope."""
    if principal.caller is None:
        refuse_unscoped(session, principal, _route(request))
    assert principal.caller is not None
    return principal.caller


@cache  # one dependency per scope, so FastAPI runs it once per request
def require_scope(*scopes: str) -> Callable[..., Caller]:
    """A dependency for a route open to service accounts: `Depends(require_scope("x:y"))`
    gives the route's Caller. A service account needs the scope (one of them, where several
    are named) and a practitioner named in X-On-Behalf-Of, whose access it then has
    (api/service_auth.py); a person or the static token passes as on any route (their roles
    decide), and may not name anyone else."""

    def scoped_caller(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal, Depends(principal_dep)],
        on_behalf_of: Annotated[
            str,
            Header(
                alias=ON_BEHALF_OF,
                description="the user a service account acts for (service accounts only)",
            ),
        ] = "",
    ) -> Caller:
        if principal.caller is not None:
            if on_behalf_of:
                raise HTTPException(
                    status_code=400, detail=f"{ON_BEHALF_OF} is for service accounts only"
                )
            caller = principal.caller
        else:
            caller = service_caller_for(session, principal, scopes, on_behalf_of, _route(request))
        # These routes audit what they read (or write) while the embedded upload runner
        # commits: their transaction begins as a writer, or SQLite refuses its audit event
        # once the runner has committed since its first read (catalog.db.write_first).
        write_first(session)
        return caller

    scoped_caller.__name__ = "scope_" + "_or_".join(s.replace(":", "_") for s in scopes)
    return scoped_caller


def web_login_dep(
    session: SessionDep,
    escr_session: Annotated[str, Cookie()] = "",
) -> WebLogin:
    """The web pages' caller, from the session cookie (api/web sends the browser to log in).
    The page's transaction then begins as a writer: its audited reads would otherwise meet
    "database is locked" on SQLite while the embedded upload runner commits (write_first)."""
    login = session_login(session, escr_session)
    write_first(session)
    return login


# Governance routes (retention, holds, audit) get an actor only after this check, so no
# practitioner reaches them.
_GOVERNANCE_ROLES = frozenset({"ig_officer", "administrator"})


def _route(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def actor_dep(
    request: Request, session: SessionDep, caller: Annotated[Caller, Depends(caller_dep)]
) -> str:
    """The authenticated caller's name, if they hold an IG role; a refusal is audited (and
    committed though the request fails)."""
    require_role(session, caller, _GOVERNANCE_ROLES, _route(request))
    return caller.user_id


def reviewer_dep(
    request: Request,
    session: SessionDep,
    caller: Annotated[Caller, Depends(caller_dep)],
    actor: Annotated[str, Depends(actor_dep)],
) -> str:
    """An IG officer who is a named person: the service token may not approve, reject or
    execute a disposal, or release a hold (nobody would answer for it, and two approvals could
    be one script)."""
    require_person(session, caller, _route(request))
    return actor


IndexDep = Annotated[SearchIndex, Depends(index_dep)]
StoreDep = Annotated[BlobStore, Depends(store_dep)]
ActorDep = Annotated[str, Depends(actor_dep)]
ReviewerDep = Annotated[str, Depends(reviewer_dep)]
CallerDep = Annotated[Caller, Depends(caller_dep)]
WebLoginDep = Annotated[WebLogin, Depends(web_login_dep)]
