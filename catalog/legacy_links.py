"""Old document links keyed for matching (catalog/models_legacy_links.py, decision 0038): the
ledger's `legacy_url` as given, under the SHA-256 of its keys (domain/legacy_urls.py).

Keyed when a manifest is registered (workers/register.py) and, for rows that missed that (a
catalog loaded before, rows committed out of ID order), on a later look
(records/legacy_links.py). Functions do not commit.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from catalog.models import LedgerRow
from catalog.models_legacy_links import LegacyLink
from domain.legacy_urls import legacy_url_key

PAGE = 5_000
# The ledger ID each catalog (by URL) was scanned to in this process: rows without a link are
# not read again on every look. A restart begins from the last keyed row.
_scanned: dict[str, int] = {}


def _key_rows(rows: list[tuple[int, str]]) -> list[dict[str, Any]]:
    keyed = []
    for ledger_id, url in rows:
        try:
            key = legacy_url_key(url)
            full, path = key.full_sha256, key.path_sha256
        except ValueError:
            full = path = ""  # kept, so the watermark passes it; it matches nothing
        keyed.append({"ledger_id": ledger_id, "full_sha256": full, "path_sha256": path})
    return keyed


def _catalog(session: Session) -> str:
    return str(session.get_bind().engine.url)


def key_new_rows(session: Session, *, full: bool = False) -> int:
    """Key the ledger rows with a legacy_url not keyed yet; returns how many were keyed."""
    done = 0
    catalog = _catalog(session)
    keyed_to = session.scalar(select(func.max(LegacyLink.ledger_id))) or 0
    last = 0 if full else max(keyed_to, _scanned.get(catalog, 0))
    top = session.scalar(select(func.max(LedgerRow.id))) or 0
    while last < top:
        query = (
            select(LedgerRow.id, LedgerRow.legacy_url)
            .where(LedgerRow.id > last, LedgerRow.id <= top, LedgerRow.legacy_url.is_not(None))
            .order_by(LedgerRow.id)
            .limit(PAGE)
        )
        if full:
            keyed = select(LegacyLink.ledger_id).where(LegacyLink.ledger_id == LedgerRow.id)
            query = query.where(~keyed.exists())
        rows = [(i, str(u)) for i, u in session.execute(query)]
        if not rows:
            break
        # Core's executemany: the ORM's bulk insert took as long again as the keys.
        session.connection().execute(insert(cast(Table, LegacyLink.__table__)), _key_rows(rows))
        done += len(rows)
        last = rows[-1][0]
    _scanned[catalog] = max(_scanned.get(catalog, 0), top)
    return done
