"""The audit log: append-only and hash-chained, so any altered, removed or reordered event shows.

Each event's hash covers its fields and the previous event's hash. Nothing here updates or
deletes an event, and no API or CLI offers to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import AuditEvent

GENESIS = "0" * 64


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "person_ids": event.person_ids,
        "on_behalf_of": event.on_behalf_of,
        "why": event.why,
        "detail": event.detail,
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str = "",
    person_ids: Iterable[str] = (),
    on_behalf_of: str = "",
    why: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain (in the caller's transaction)."""
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = last.hash if last is not None else GENESIS
    event = AuditEvent(
        at=datetime.now(UTC).replace(tzinfo=None),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        person_ids=";".join(sorted(set(person_ids))),
        on_behalf_of=on_behalf_of,
        why=why,
        detail=detail or {},
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = _digest(prev_hash, _fields(event))
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> list[str]:
    """Every break in the chain, as readable problems; an empty list means it holds."""
    problems: list[str] = []
    prev_hash = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(5000):
        if event.prev_hash != prev_hash:
            problems.append(f"event {event.id}: does not follow the event before it")
        if _digest(event.prev_hash, _fields(event)) != event.hash:
            problems.append(f"event {event.id}: content does not match its hash")
        prev_hash = event.hash
    return problems
