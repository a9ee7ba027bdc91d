"""Typed dependencies: settings, a catalog session per request, backends, the caller."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session

from catalog.db import session_factory
from core.settings import Settings, get_settings
from indexer.base import SearchIndex
from storage.base import BlobStore


def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


def session_dep(settings: SettingsDep) -> Iterator[Session]:
    """A session whose work (the audit of each read) commits when the route succeeds."""
    session = session_factory(settings.database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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


def actor_dep(
    settings: SettingsDep,
    authorization: Annotated[str, Header()] = "",
    x_escr_user: Annotated[str, Header()] = "",
) -> str:
    """The caller, from the configured bearer token (roles and OIDC come with issue 5)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token, settings.api.token):
        raise HTTPException(status_code=401, detail="a valid bearer token is required")
    return f"api:{x_escr_user or 'token'}"


SessionDep = Annotated[Session, Depends(session_dep)]
IndexDep = Annotated[SearchIndex, Depends(index_dep)]
StoreDep = Annotated[BlobStore, Depends(store_dep)]
ActorDep = Annotated[str, Depends(actor_dep)]
