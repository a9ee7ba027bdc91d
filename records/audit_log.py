"""The audit log as IG officers read it: filtered by time, actor, action and person, a page at
a time or whole as CSV rows, each target named (a document's title, a person's name) where the
officer may see it; and the break-glass alerts inbox, whose reviews are audit events too (the
log stays append-only: nothing is marked, a review is appended)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models import AuditEvent, Document, Person
from core.errors import InvalidInput, NotFound
from indexer.base import check_window
from records.access import Caller, require_role, visible_documents
from records.consoles import AUDIT_ROLES

ALERT = "break_glass"
ALERT_REVIEWED = "break_glass_reviewed"
_CSV_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    """What the officer asked for; times are naive UTC (the face converts local dates)."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive
    actor: str = ""
    action: str = ""
    person: str = ""

    def described(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items() if v}


def _person_match(person_id: str) -> Any:
    return or_(
        AuditEvent.person_ids == person_id,
        AuditEvent.person_ids.like(f"{person_id};%"),
        AuditEvent.person_ids.like(f"%;{person_id}"),
        AuditEvent.person_ids.like(f"%;{person_id};%"),
        (AuditEvent.target_type == "person") & (AuditEvent.target_id == person_id),
    )


def _query(wanted: AuditFilter) -> Select[Any]:
    query = select(AuditEvent)
    if wanted.since is not None:
        query = query.where(AuditEvent.at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.at < wanted.until)
    if wanted.actor:
        query = query.where(AuditEvent.actor == wanted.actor)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.person:
        query = query.where(_person_match(wanted.person))
    return query


def actions(session: Session) -> list[str]:
    """Every action the log holds, for the filter's list."""
    return sorted(session.scalars(select(AuditEvent.action).distinct()))


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "at": event.at.isoformat(timespec="seconds"),
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "person_ids": [p for p in event.person_ids.split(";") if p],
        "on_behalf_of": event.on_behalf_of,
        "why": event.why,
        "alert": event.action == ALERT,
    }


def _name_targets(session: Session, caller: Caller, rows: Sequence[dict[str, Any]]) -> None:
    """Each row's `label` and `href`: a document's title and page, a person's name and record,
    where the caller may see them; otherwise the bare kind and ID."""
    doc_ids = {int(r["target_id"]) for r in rows if r["target_type"] == "document" and _int(r)}
    documents = list(session.scalars(select(Document).where(Document.id.in_(doc_ids))))
    titles = {d.id: d.title for d in visible_documents(session, caller, documents)}
    person_ids = {r["target_id"] for r in rows if r["target_type"] == "person"}
    person_ids |= {p for r in rows for p in r["person_ids"]}
    names = _names(session, sorted(person_ids))
    for r in rows:
        r["people"] = [{"id": p, "name": names.get(p, "")} for p in r["person_ids"]]
        kind, target = r["target_type"], r["target_id"]
        r["label"], r["href"] = f"{kind} {target}".strip(), ""
        if kind == "document" and _int(r):
            gone = int(target) not in {d.id for d in documents}
            title = titles.get(int(target))
            r["label"] = (
                f"{title} (document {target})"
                if title
                else f"document {target}" + (" (no longer held)" if gone else "")
            )
            r["href"] = f"/documents/{target}" if title else ""
        elif kind == "person" and target:
            r["label"] = f"{names[target]} ({target})" if names.get(target) else f"person {target}"
            r["href"] = f"/people/{target}"


def _int(row: dict[str, Any]) -> bool:
    return str(row["target_id"]).isdigit() and len(str(row["target_id"])) < 19


def _names(session: Session, person_ids: Sequence[str]) -> dict[str, str]:
    # IG officers see every person (records.access.UNRESTRICTED_ROLES); a name is what the
    # audit report needs to be read by people, not IDs.
    found = session.execute(
        select(Person.person_id, Person.given_name, Person.family_name).where(
            Person.person_id.in_(person_ids)
        )
    )
    return {p: " ".join(filter(None, (g, f))) for p, g, f in found}


def search(
    session: Session, *, caller: Caller, wanted: AuditFilter, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """A page of events under the filter, newest first, with how many match in all."""
    require_role(session, caller, AUDIT_ROLES, "the audit log")
    check_window(limit, offset)
    query = _query(wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    rows = [_row(e) for e in events]
    _name_targets(session, caller, rows)
    audit.record(
        session,
        actor=caller.user_id,
        action="view_audit_log",
        target_type="audit",
        on_behalf_of=caller.on_behalf_of,
        detail={**wanted.described(), "offset": offset, "total": int(total)},
    )
    return {"total": int(total), "events": rows}


def check_export(session: Session, *, caller: Caller, wanted: AuditFilter) -> None:
    """May the caller export the log under this filter? Audited (the face commits before the
    first line goes out, so an export always leaves its record)."""
    require_role(session, caller, AUDIT_ROLES, "the audit log's export")
    audit.record(
        session,
        actor=caller.user_id,
        action="export_audit_log",
        target_type="audit",
        on_behalf_of=caller.on_behalf_of,
        detail=wanted.described(),
    )


def iter_rows(session: Session, caller: Caller, wanted: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every event under the filter, newest first, named as on the page (call check_export
    first); read in batches by ID so a long export holds no large result in memory."""
    before: int | None = None
    while True:
        query = _query(wanted)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        batch = [
            _row(e) for e in session.scalars(query.order_by(AuditEvent.id.desc()).limit(_CSV_BATCH))
        ]
        if not batch:
            return
        _name_targets(session, caller, batch)
        yield from batch
        before = batch[-1]["event_id"]


def alerts(session: Session, *, caller: Caller, limit: int = 100) -> list[dict[str, Any]]:
    """Break-glass openings, newest first, each with its review if an IG officer made one."""
    require_role(session, caller, AUDIT_ROLES, "the break-glass alerts")
    rows = [
        _row(e)
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == ALERT)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    ]
    _name_targets(session, caller, rows)
    reviews = _reviews(session, [str(r["event_id"]) for r in rows])
    for r in rows:
        r["review"] = reviews.get(str(r["event_id"]))
        r["mine"] = r["actor"] == caller.user_id
    audit.record(
        session,
        actor=caller.user_id,
        action="view_alerts",
        target_type="audit",
        on_behalf_of=caller.on_behalf_of,
        detail={"shown": len(rows)},
    )
    return rows


def unreviewed_alerts(session: Session) -> int:
    """How many break-glass openings no IG officer has reviewed yet (for the IG home)."""
    reviewed = select(AuditEvent.target_id).where(AuditEvent.action == ALERT_REVIEWED)
    query = select(func.count()).where(
        AuditEvent.action == ALERT, cast(AuditEvent.id, String).not_in(reviewed)
    )
    return int(session.scalar(query) or 0)


def _reviews(session: Session, event_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    query = select(AuditEvent).where(
        AuditEvent.action == ALERT_REVIEWED, AuditEvent.target_id.in_(event_ids)
    )
    for e in session.scalars(query.order_by(AuditEvent.id)):
        found.setdefault(
            e.target_id, {"by": e.actor, "at": e.at.isoformat(timespec="seconds"), "note": e.why}
        )
    return found


def review_alert(session: Session, *, caller: Caller, event_id: int, note: str) -> None:
    """An IG officer's review of a break-glass opening: appended to the log, with a note."""
    require_role(session, caller, AUDIT_ROLES, "reviewing a break-glass alert")
    event = session.get(AuditEvent, event_id)
    if event is None or event.action != ALERT:
        raise NotFound(f"alert {event_id} not found")
    if event.actor == caller.user_id:
        # The review is the check on a break-glass; its opener cannot be that check.
        audit.refuse(
            session,
            actor=caller.user_id,
            target_type="audit_event",
            target_id=str(event_id),
            why="you cannot review your own break-glass: another IG officer must",
            on_behalf_of=caller.on_behalf_of,
        )
    if not note.strip():
        raise InvalidInput("a review needs a note: what was checked, and what follows")
    if _reviews(session, [str(event_id)]):
        raise InvalidInput(f"alert {event_id} is already reviewed")
    audit.record(
        session,
        actor=caller.user_id,
        action=ALERT_REVIEWED,
        target_type="audit_event",
        target_id=str(event_id),
        # Not on the person: a review of the alert is no look at their record.
        on_behalf_of=caller.on_behalf_of,
        why=note.strip()[:2000],
    )
