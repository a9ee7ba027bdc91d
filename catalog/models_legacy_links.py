"""Old document links, keyed for matching (domain/legacy_urls.py, docs/decisions/0038).

Derived from the ledger's `legacy_url` (the manifest's column): a row per ledger row that has
one, under the SHA-256 of both its keys. Rebuilt incrementally (records/legacy_links.py), so
it can always be dropped and made again from the ledger.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class LegacyLink(Base):
    """A ledger row's old link: its key with the host, and its path alone."""

    __tablename__ = "legacy_links"

    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledger.id"), primary_key=True)
    full_sha256: Mapped[str] = mapped_column(String(64), index=True)
    path_sha256: Mapped[str] = mapped_column(String(64), index=True)
