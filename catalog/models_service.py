"""Catalog tables for the systems that call escr (issue 16, docs/decisions/0037-cms-identity.md):
service accounts, their API keys, and the idempotency keys of their uploads.

An account is one case management system (Mosaic, Liquidlogic...) with the scopes it needs.
It authenticates with an escr-issued key (stored as the SHA-256 of its secret only) or with an
OAuth2 client-credentials token from the council's identity provider whose client ID is mapped
to it. Several keys may be live at once, which is how a key is rotated without downtime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class ServiceAccount(Base):
    """A system that calls the API, always on behalf of a named practitioner."""

    __tablename__ = "service_accounts"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    # The IdP's client ID (Entra's azp/appid, a client_id claim) whose tokens act as this
    # account; None: escr-issued keys only.
    oidc_client_id: Mapped[str | None] = mapped_column(
        String(200), nullable=True, unique=True, default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ServiceKey(Base):
    """An escr-issued API key, `escr_<key_id>_<secret>`: the key ID is public (it finds the
    row and names the key in the audit), the secret is kept only as its SHA-256."""

    __tablename__ = "service_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account: Mapped[str] = mapped_column(ForeignKey("service_accounts.name"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # A rotation gives the old key an end: both work until then (no downtime).
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class IdempotencyKey(Base):
    """An upload's `Idempotency-Key`, per account: the same key again answers the same
    document, and never stores it twice."""

    __tablename__ = "idempotency_keys"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # SHA-256 of what the request asked (route, person, file, metadata): the same key with
    # another request is refused (409), not answered with the first one's document.
    request_sha256: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[int] = mapped_column(Integer)
    ledger_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
