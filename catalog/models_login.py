"""Catalog table for login throttling (see catalog/login_throttle.py).

In the catalog rather than in memory so that every API worker and process sees the same count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class LoginThrottle(Base):
    """Recent failed logins for one username ("user:<name>") or one address ("addr:<ip>")."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
