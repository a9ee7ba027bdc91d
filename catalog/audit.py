"""The audit log: append-only and hash-chained, so any altered, removed or reordered event shows.

Each event's hash covers its fields and the previous event's hash. One head row holds the newest
hash and the event count: appending locks it (two PostgreSQL writers cannot fork the chain;
SQLite serialises writers already), and verifying compares it with the log, so removing the
last events shows too. Nothing here updates or deletes an event, and no API or CLI offers to.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from catalog.models import AuditEvent
from catalog.models_retention import AuditChainHead
from catalog.session_state import ANCHOR_DUE
from core.clock import utcnow
from core.errors import PermissionDenied

GENESIS = "0" * 64
# Signed checkpoints of the head outside the database (catalog/audit_anchor.py) follow a commit
# that appended the ANCHOR_EVERY-th event, or the first one ANCHOR_INTERVAL_S after the last
# checkpoint this process wrote.
ANCHOR_EVERY = 1000
ANCHOR_INTERVAL_S = 900.0
_last_anchor = [-ANCHOR_INTERVAL_S]
HEAD_ID = 1
# Reads of a person's record, for "who looked at my record".
READ_ACTIONS = frozenset({"view", "view_text", "download", "view_chronology", "search", "export"})


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


def _locked_head(session: Session) -> AuditChainHead:
    """The chain head, locked for this transaction (created from the log where missing)."""
    query = select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    head = session.scalar(query)
    if head is None:
        last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        head = AuditChainHead(
            id=HEAD_ID,
            hash=last.hash if last is not None else GENESIS,
            count=count,
            updated_at=utcnow(),
        )
        session.add(head)
    return head


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
    head = _locked_head(session)
    now = utcnow()
    event = AuditEvent(
        at=now,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        person_ids=";".join(sorted(set(person_ids))),
        on_behalf_of=on_behalf_of,
        why=why,
        detail=detail or {},
        prev_hash=head.hash,
        hash="",
    )
    event.hash = _digest(head.hash, _fields(event))
    head.hash, head.count, head.updated_at = event.hash, head.count + 1, now
    session.add(event)
    session.flush()
    if _anchor_due(head.count):
        ANCHOR_DUE.set(session, True)
    return event


def refuse(
    session: Session,
    *,
    actor: str,
    target_type: str,
    target_id: str,
    why: str,
    action: str = "access_denied",
    person_ids: Iterable[str] = (),
    on_behalf_of: str = "",
    detail: dict[str, Any] | None = None,
    answer: Exception | None = None,
) -> NoReturn:
    """Refuse a request: audit the refusal and commit it at once, then raise `answer` (a 403
    saying `why` unless the caller hides the record behind a 404). The face rolls back what
    follows, and a refused try (at reading another team's record, at approving one's own
    proposal) must leave its trace all the same."""
    record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        person_ids=person_ids,
        on_behalf_of=on_behalf_of,
        detail={"reason": why, **(detail or {})},
    )
    session.commit()
    raise answer if answer is not None else PermissionDenied(why)


def _anchor_due(count: int) -> bool:
    since = time.monotonic() - _last_anchor[0]
    return count % ANCHOR_EVERY == 0 or since >= ANCHOR_INTERVAL_S


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    # Only after the commit: a checkpoint of a head that then rolled back would never verify.
    if ANCHOR_DUE.pop(session):
        _last_anchor[0] = time.monotonic()
        # Imported here: the anchor reads the chain through this module.
        from catalog import audit_anchor

        audit_anchor.anchor_committed(session)


@event.listens_for(Session, "after_rollback")
def _forget_anchor(session: Session) -> None:
    ANCHOR_DUE.pop(session)


def head(session: Session) -> tuple[str, int]:
    """The newest hash and the event count, as the head row holds them (for anchoring)."""
    row = session.get(AuditChainHead, HEAD_ID)
    return (row.hash, row.count) if row is not None else (GENESIS, 0)


def _iso(at: Any) -> str:
    """datetime.isoformat() of a stored time, from SQLite's text without building a datetime."""
    if isinstance(at, datetime):
        return at.isoformat()
    text = str(at).replace(" ", "T", 1)
    return text[:-7] if text.endswith(".000000") else text


def verify_chain(session: Session, checkpoints: Mapping[int, str] | None = None) -> list[str]:
    """Every break in the chain, as readable problems; an empty list means it holds.

    `checkpoints` (event count -> head hash, from catalog/audit_anchor.py) must each still be
    in the log: a log rewritten and rehashed by a database writer holds together but not them."""
    problems: list[str] = []
    anchored = checkpoints or {}
    prev_hash, count = GENESIS, 0
    # The driver's own rows: ORM or Core row processing would triple the time of a million.
    cursor = session.connection().exec_driver_sql(
        "SELECT id, at, actor, action, target_type, target_id, person_ids, on_behalf_of, why, "
        "detail, prev_hash, hash FROM audit_events ORDER BY id"
    )
    dumps, loads, sha256 = json.dumps, json.loads, hashlib.sha256
    for eid, at, actor, action, ttype, tid, pids, behalf, why, detail, prev, digest in cursor:
        count += 1
        if prev != prev_hash:
            problems.append(f"event {eid}: does not follow the event before it")
        fields = {
            "at": _iso(at),
            "actor": actor,
            "action": action,
            "target_type": ttype,
            "target_id": tid,
            "person_ids": pids,
            "on_behalf_of": behalf,
            "why": why,
            "detail": loads(detail) if isinstance(detail, str) else detail,
        }
        canonical = dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
        if sha256((prev + canonical).encode("utf-8")).hexdigest() != digest:
            problems.append(f"event {eid}: content does not match its hash")
        if count in anchored and anchored[count] != digest:
            problems.append(
                f"event {eid}: not the event {count} that a signed checkpoint holds: "
                "the log before it was rewritten"
            )
        prev_hash = digest
    beyond = [n for n in anchored if n > count]
    if beyond:
        problems.append(
            f"a signed checkpoint holds {max(beyond)} events, the log has {count}: "
            "events were removed"
        )
    head_hash, head_count = head(session)
    if (head_hash, head_count) != (prev_hash, count):
        problems.append(
            f"chain head says {head_count} events ending {head_hash[:12]}, the log has "
            f"{count} ending {prev_hash[:12]}: events were removed or added outside the log"
        )
    return problems


def person_report(
    session: Session, person_id: str, *, reads_only: bool = False, limit: int = 1000
) -> list[dict[str, Any]]:
    """Who looked at (or changed) this person's record: newest first."""
    match = or_(
        AuditEvent.person_ids == person_id,
        AuditEvent.person_ids.like(f"{person_id};%"),
        AuditEvent.person_ids.like(f"%;{person_id}"),
        AuditEvent.person_ids.like(f"%;{person_id};%"),
        (AuditEvent.target_type == "person") & (AuditEvent.target_id == person_id),
    )
    query = select(AuditEvent).where(match).order_by(AuditEvent.id.desc()).limit(limit)
    if reads_only:
        query = query.where(AuditEvent.action.in_(sorted(READ_ACTIONS)))
    return [
        {
            "event_id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "target": f"{e.target_type}:{e.target_id}",
            "on_behalf_of": e.on_behalf_of,
            "why": e.why,
        }
        for e in session.scalars(query)
    ]
