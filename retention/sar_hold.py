"""The legal hold of a subject access request (records/sar.py's HoldKeeper).

One hold a request, reason type `sar`, with the criterion `sar_ids`: it matches every document
the request has collated, including what a later collation adds, for as long as it is active.
Closing the request releases it into the usual re-appraisal list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from catalog.models_sar import SarRequest
from retention import holds, locks
from storage.base import BlobStore


class SarHolds:
    def __init__(self, store: BlobStore | None) -> None:
        self.store = store  # None: the catalog's hold only (no Object Lock mirror)

    def place(self, session: Session, request: SarRequest, actor: str) -> int:
        hold, _matched = holds.add_hold(
            session,
            name=f"Subject access request {request.id} ({request.person_id})",
            reason_type="sar",
            authority=f"UK GDPR Art 15 request received {request.received.isoformat()}",
            owner=actor,
            criteria={"sar_ids": [str(request.id)]},
            actor=actor,
            store=self.store,
        )
        return hold.id

    def sync(self, session: Session, document_ids: Sequence[int]) -> None:
        if self.store is not None and document_ids:
            locks.sync(session, self.store, document_ids)

    def release(
        self, session: Session, hold_id: int, actor: str, reason: str
    ) -> list[dict[str, Any]]:
        return holds.release_hold(session, hold_id, actor=actor, reason=reason, store=self.store)
