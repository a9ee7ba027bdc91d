"""Subject access requests: register, list, show, pause, resume, extend, close.

The faces (api/routes/sar.py, cli/sar.py) let only IG officers and administrators in, and
pass the day from the server's clock (`today`): no body or flag sets it. Every change and
every read is audited with the person concerned, so "who looked at my record" shows the SAR.

The legal hold on everything collated is retention's: this room may not import it, so the
faces hand in a `HoldKeeper` (retention/sar_hold.py). The hold is placed when the request is
opened, with the criterion `sar_ids`, so it matches whatever collation adds later, and is
released into re-appraisal when the request closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models import Person
from catalog.models_sar import (
    CHANNELS,
    OPEN_STATUSES,
    PAUSE_REASONS,
    REQUESTER_RELATIONSHIPS,
    SarItem,
    SarPause,
    SarRequest,
)
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from records import sar_clock

TEXT_MAX = 2_000  # a note or a reason is a paragraph


class HoldKeeper(Protocol):
    """Retention's side of a request's legal hold (retention/sar_hold.py)."""

    def place(self, session: Session, request: SarRequest, actor: str) -> int:
        """Make the hold (reason type `sar`) on everything the request collates; its ID."""

    def sync(self, session: Session, document_ids: Sequence[int]) -> None:
        """Mirror the hold onto the blob store for documents just collated."""

    def release(
        self, session: Session, hold_id: int, actor: str, reason: str
    ) -> list[dict[str, Any]]:
        """Release the hold; the re-appraisal list (documents no other hold keeps)."""


def _text(value: str, name: str, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} is needed")
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"{name} is longer than {TEXT_MAX} characters")
    return value


def _choice(value: str, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}")
    return value


def get_request(session: Session, sar_id: int) -> SarRequest:
    request = session.get(SarRequest, sar_id)
    if request is None:
        raise NotFound(f"subject access request {sar_id} not found")
    return request


def pauses_of(session: Session, sar_id: int) -> list[SarPause]:
    query = select(SarPause).where(SarPause.sar_id == sar_id).order_by(SarPause.start, SarPause.id)
    return list(session.scalars(query))


def _recompute_due(
    session: Session, request: SarRequest, today: date, closures: Iterable[date]
) -> None:
    """The due date from receipt, the extension and the days paused so far."""
    paused = sar_clock.paused_days(
        ((p.start, p.end) for p in pauses_of(session, request.id)), today
    )
    request.due = sar_clock.due_date(
        request.received,
        extended=request.extension_recorded is not None,
        paused=paused,
        closures=closures,
    )
    if request.extension_recorded is not None:
        request.extended_due = request.due


def audit_read(
    session: Session, request: SarRequest, actor: str, action: str, **detail: Any
) -> None:
    """Audit an action on a request, with its person (for "who looked at my record")."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="sar",
        target_id=str(request.id),
        person_ids=[request.person_id],
        detail=detail,
    )


def open_request(
    session: Session,
    *,
    person_id: str,
    received: date,
    actor: str,
    today: date,
    holds: HoldKeeper,
    requester_name: str = "",
    relationship: str = "subject",
    channel: str = "other",
    identity_evidence: str = "",
    authority_evidence: str = "",
    notes: str = "",
    closures: Iterable[date] = (),
) -> SarRequest:
    """Register a request on a person in the catalog; its due date set and its hold placed."""
    if session.get(Person, person_id) is None:
        raise NotFound(f"person {person_id!r} not found")
    if received > today:
        raise InvalidInput(f"received {received} is after today ({today})")
    relationship = _choice(relationship, REQUESTER_RELATIONSHIPS, "the requester's relationship")
    if relationship != "subject" and not requester_name.strip():
        raise InvalidInput("a request made for someone else names the requester")
    statutory = sar_clock.due_date(received, closures=closures)
    request = SarRequest(
        person_id=person_id,
        received=received,
        channel=_choice(channel, CHANNELS, "the channel"),
        requester_name=_text(requester_name, "the requester"),
        requester_relationship=relationship,
        identity_evidence=_text(identity_evidence, "the evidence of identity"),
        authority_evidence=_text(authority_evidence, "the evidence of authority"),
        status="open",
        due=statutory,
        statutory_due=statutory,
        extension_reason="",
        notes=_text(notes, "the notes"),
        created_by=actor,
        created_at=utcnow(),
        closed_by="",
        close_reason="",
    )
    session.add(request)
    session.flush()
    request.hold_id = holds.place(session, request, actor)
    audit_read(
        session, request, actor, "sar_open", received=received.isoformat(), due=str(statutory)
    )
    return request


def pause(
    session: Session,
    sar_id: int,
    *,
    reason_type: str,
    reason: str,
    actor: str,
    today: date,
) -> SarRequest:
    """Stop the clock from today (waiting for identity, authority or clarification)."""
    request = get_request(session, sar_id)
    if request.status not in ("open", "extended"):
        raise Conflict(f"request {sar_id} is {request.status}: only a running clock pauses")
    session.add(
        SarPause(
            sar_id=sar_id,
            start=max(today, request.received),
            reason_type=_choice(reason_type, PAUSE_REASONS, "the pause's reason"),
            reason=_text(reason, "the pause's reason", required=True),
            started_by=actor,
            ended_by="",
            created_at=utcnow(),
        )
    )
    request.status = "paused"
    audit_read(session, request, actor, "sar_pause", reason_type=reason_type, reason=reason)
    return request


def resume(
    session: Session, sar_id: int, *, actor: str, today: date, closures: Iterable[date] = ()
) -> SarRequest:
    """Start the clock again: the due date moves by the days it stood still."""
    request = get_request(session, sar_id)
    open_pauses = [p for p in pauses_of(session, sar_id) if p.end is None]
    if request.status != "paused" or not open_pauses:
        raise Conflict(f"request {sar_id} is {request.status}, not paused")
    for paused in open_pauses:
        paused.end, paused.ended_by = max(today, paused.start), actor
    request.status = "extended" if request.extension_recorded else "open"
    session.flush()
    _recompute_due(session, request, today, closures)
    audit_read(session, request, actor, "sar_resume", due=request.due.isoformat())
    return request


def extend(
    session: Session,
    sar_id: int,
    *,
    reason: str,
    actor: str,
    today: date,
    closures: Iterable[date] = (),
) -> SarRequest:
    """Extend by two further months, recorded today; refused after the first month."""
    request = get_request(session, sar_id)
    if request.status not in ("open", "paused"):
        raise Conflict(f"request {sar_id} is {request.status}: it cannot be extended")
    paused = sar_clock.paused_days(((p.start, p.end) for p in pauses_of(session, sar_id)), today)
    new_due = sar_clock.check_extension(
        request.received,
        today,
        _text(reason, "the extension's reason"),
        paused=paused,
        closures=closures,
    )
    request.extension_recorded, request.extension_reason = today, reason.strip()
    request.extended_due = request.due = new_due
    if request.status == "open":
        request.status = "extended"
    audit_read(
        session, request, actor, "sar_extend", reason=reason.strip(), due=new_due.isoformat()
    )
    return request


def close(
    session: Session,
    sar_id: int,
    *,
    actor: str,
    reason: str,
    holds: HoldKeeper,
    status: str = "closed",
) -> tuple[SarRequest, list[dict[str, Any]]]:
    """Close a request (`released` when a bundle went out): its hold is released and what it
    kept is returned for re-appraisal."""
    request = get_request(session, sar_id)
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"request {sar_id} is already {request.status}")
    status = _choice(status, ("closed", "released"), "the closing status")
    reason = _text(reason, "the reason for closing", required=True)
    for paused in pauses_of(session, sar_id):
        if paused.end is None:
            paused.end, paused.ended_by = max(utcnow().date(), paused.start), actor
    request.status, request.closed_at = status, utcnow()
    request.closed_by, request.close_reason = actor, reason
    review: list[dict[str, Any]] = []
    if request.hold_id is not None:
        review = holds.release(
            session, request.hold_id, actor, f"subject access request {sar_id} {status}: {reason}"
        )
    audit_read(session, request, actor, "sar_close", status=status, reappraise=len(review))
    return request, review


def list_requests(
    session: Session,
    *,
    actor: str,
    status: str = "",
    person_id: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[SarRequest]]:
    """Requests, the soonest due first; the total and one page."""
    query = select(SarRequest)
    if status:
        query = query.where(SarRequest.status == status)
    if person_id:
        query = query.where(SarRequest.person_id == person_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(SarRequest.due, SarRequest.id).offset(offset).limit(limit)
    )
    found = list(page)
    audit.record(
        session,
        actor=actor,
        action="sar_list",
        target_type="sar",
        person_ids=sorted({r.person_id for r in found}),
        detail={"status": status, "person_id": person_id, "shown": len(found)},
    )
    return total, found


def due_lists(session: Session, *, actor: str, today: date, within_days: int) -> dict[str, Any]:
    """Running requests overdue (due before today) and due soon (today to today + days).
    A paused request is in neither: its clock is stopped, and it is listed apart."""
    running = list(
        session.scalars(
            select(SarRequest)
            .where(SarRequest.status.in_(OPEN_STATUSES))
            .order_by(SarRequest.due, SarRequest.id)
        )
    )
    soon_until = date.fromordinal(today.toordinal() + within_days)
    lists = {
        "today": today,
        "overdue": [r for r in running if r.status != "paused" and r.due < today],
        "due_soon": [r for r in running if r.status != "paused" and today <= r.due <= soon_until],
        "paused": [r for r in running if r.status == "paused"],
    }
    audit.record(
        session,
        actor=actor,
        action="sar_due_lists",
        target_type="sar",
        person_ids=sorted({r.person_id for r in running}),
        detail={k: len(v) for k, v in lists.items() if isinstance(v, list)},
    )
    return lists


def item_counts(session: Session, sar_id: int) -> dict[str, int]:
    query = select(SarItem.status, func.count()).where(SarItem.sar_id == sar_id)
    return {status: n for status, n in session.execute(query.group_by(SarItem.status))}


def request_json(session: Session, request: SarRequest, today: date) -> dict[str, Any]:
    """What the API, the CLI and the pages show of a request."""
    pauses = pauses_of(session, request.id)
    return {
        "id": request.id,
        "person_id": request.person_id,
        "received": request.received.isoformat(),
        "channel": request.channel,
        "requester": {
            "name": request.requester_name,
            "relationship": request.requester_relationship,
            "identity_evidence": request.identity_evidence,
            "authority_evidence": request.authority_evidence,
        },
        "status": request.status,
        "due": request.due.isoformat(),
        "statutory_due": request.statutory_due.isoformat(),
        "days_left": (request.due - today).days,
        "overdue": request.status in ("open", "extended") and request.due < today,
        "extension": None
        if request.extension_recorded is None
        else {
            "recorded": request.extension_recorded.isoformat(),
            "reason": request.extension_reason,
            "due": request.extended_due.isoformat() if request.extended_due else None,
        },
        "pauses": [
            {
                "start": p.start.isoformat(),
                "end": p.end.isoformat() if p.end else None,
                "reason_type": p.reason_type,
                "reason": p.reason,
                "by": p.started_by,
            }
            for p in pauses
        ],
        "hold_id": request.hold_id,
        "items": item_counts(session, request.id),
        "notes": request.notes,
        "created_by": request.created_by,
        "created_at": request.created_at.isoformat(),
        "collated_at": request.collated_at.isoformat() if request.collated_at else None,
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
        "closed_by": request.closed_by,
        "close_reason": request.close_reason,
    }


def show(session: Session, sar_id: int, *, actor: str, today: date) -> dict[str, Any]:
    request = get_request(session, sar_id)
    audit_read(session, request, actor, "sar_view")
    return request_json(session, request, today)
