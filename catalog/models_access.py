"""Catalog tables for access control: users, sessions, teams, allocations, grants, break-glass.

Who may see what is decided in records/access.py from these rows; nothing else reads them to
make an access decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class User(Base):
    """A local user (the embedded default); OIDC users need no row unless they hold grants."""

    __tablename__ = "access_users"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # scrypt$n$r$p$salt$hash: empty means the user cannot log in with a password.
    password_hash: Mapped[str] = mapped_column(Text, default="")
    roles: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Team(Base):
    """A team that works with a set of people (their allocations)."""

    __tablename__ = "access_teams"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class TeamMember(Base):
    __tablename__ = "access_team_members"
    __table_args__ = (UniqueConstraint("username", "team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("access_users.username"), index=True)
    team: Mapped[str] = mapped_column(ForeignKey("access_teams.name"), index=True)


class Allocation(Base):
    """A person allocated to a team. Not a foreign key to people: the CMS export may name
    people the archive has not loaded yet, and the allocation must hold when they arrive."""

    __tablename__ = "access_allocations"
    __table_args__ = (UniqueConstraint("person_id", "team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100), index=True)
    team: Mapped[str] = mapped_column(ForeignKey("access_teams.name"), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")  # cli | file name
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Grant(Base):
    """A user's explicit grant to a restricted class (adoption, staff, sensitive)."""

    __tablename__ = "access_grants"
    __table_args__ = (UniqueConstraint("username", "restriction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not a foreign key: OIDC users hold grants without a local user row.
    username: Mapped[str] = mapped_column(String(100), index=True)
    restriction: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by: Mapped[str] = mapped_column(String(100), default="")
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Restriction(Base):
    """A person or document marked as belonging to a restricted class."""

    __tablename__ = "access_restrictions"
    __table_args__ = (UniqueConstraint("target_type", "target_id", "restriction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))  # person | document
    target_id: Mapped[str] = mapped_column(String(100))
    restriction: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(100), default="")
    set_at: Mapped[datetime] = mapped_column(DateTime)


Index("ix_access_restrictions_target", Restriction.target_type, Restriction.target_id)


class BreakGlass(Base):
    """Emergency access to one person outside the user's teams: with a reason, until expiry."""

    __tablename__ = "access_break_glass"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    person_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class WebSession(Base):
    """A logged-in browser. Only the token's SHA-256 is stored, so a copy of the catalog
    cannot be replayed as a cookie."""

    __tablename__ = "access_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("access_users.username"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
