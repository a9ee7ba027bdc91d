"""Person events from the case management system: two records merged, one split, a person's
identifiers changed, and the undo of each (issue 16, docs/decisions/0038).

Each event moves links and what hangs on them (records/person_moves.py), keeps what it moved
on a PersonEvent, is audited with its reason, writes a `document.relinked` webhook event per
document in the same transaction (catalog/outbox.py), and leaves the moved documents
`pending_index`: the caller commits, re-indexes them and re-evaluates their retention
(api/person_events.py), and a failed index write leaves them for `escr reindex --pending`.
A merged-away person's record is kept, pointing at where it went (PersonMerge): a later link
to them lands on that person (catalog.documents.add_links), so no document is orphaned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog import audit, outbox
from catalog.access import family_of
from catalog.db import IN_LIST_MAX
from catalog.models import Document, DocumentLink, Person
from catalog.models_person_events import PersonEvent, PersonMerge
from catalog.people import upsert_person
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.states import RowState
from records import person_moves as moves
from records.access import QUEUE_ROLES, Caller, hidden_people, may_see_person, require_role

MIN_REASON = 10  # as an undo of a queue decision: a reason must say something
MERGE, SPLIT, IDENTIFIERS = "merge", "split", "identifiers"


@dataclass
class Outcome:
    """What an event did: its ID and the documents whose links moved (to re-index and
    re-evaluate)."""

    event_id: int
    kind: str
    from_person_id: str
    into_person_id: str
    documents: list[int] = field(default_factory=list)
    undone: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "from": self.from_person_id,
            "into": self.into_person_id,
            "documents": self.documents,
            "undone": self.undone,
        }


def require_events_role(session: Session, caller: Caller, *, scoped: bool) -> None:
    """A service account holding the people:events scope was let in by it (the CMS is the
    system of record for who is who); anyone else needs a migration officer's or
    administrator's role (a refusal is audited)."""
    if not scoped:
        require_role(session, caller, QUEUE_ROLES, "person events")


def _reason(reason: str) -> str:
    if len(reason.strip()) < MIN_REASON:
        raise InvalidInput(f"say why (a reason of at least {MIN_REASON} letters)")
    return reason.strip()


def merged_into(session: Session, person_id: str) -> str | None:
    """Where a merged-away person's record went (a chain is kept flat), or None."""
    row = session.get(PersonMerge, person_id)
    return row.into_person_id if row is not None else None


MAX_HOPS = 20  # merges are kept flat; this only bounds a chain a bug could make


def current_person(session: Session, caller: Caller, person_id: str) -> str:
    """Where a person's record is now (merges followed) if the caller may see that person;
    else `person_id` as given, so a link to a record outside their access answers as one to
    a missing record does, telling nothing of the merge or of the person it went into."""
    current = person_id
    for _ in range(MAX_HOPS):
        went = merged_into(session, current)
        if went is None:
            break
        current = went
    if current != person_id and not may_see_person(caller, current, hidden_people(session, caller)):
        return person_id
    return current


def _standing(session: Session, person_id: str, role: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id!r} not found")
    went = merged_into(session, person_id)
    if went is not None:
        raise Conflict(f"person {person_id!r} was merged into {went!r}: name {went!r} as {role}")
    return person


def _start(
    session: Session, kind: str, source: str, target: str, reason: str, caller: Caller
) -> PersonEvent:
    event = PersonEvent(
        kind=kind,
        from_person_id=source,
        into_person_id=target,
        reason=reason,
        actor=caller.user_id,
        on_behalf_of=caller.on_behalf_of,
        moved={},
        created_at=utcnow(),
        undone_by="",
        undo_reason="",
    )
    session.add(event)
    session.flush()
    return event


def _touch(
    session: Session, document_ids: Sequence[int], event: PersonEvent, change: str, now: datetime
) -> list[int]:
    """The moved documents and their attachments: indexed ones wait for the index again, and
    each gets a `document.relinked` webhook event. Returns them all."""
    family = sorted(family_of(session, list(document_ids))) if document_ids else []
    for start in range(0, len(family), IN_LIST_MAX):
        chunk = family[start : start + IN_LIST_MAX]
        for document in session.scalars(select(Document).where(Document.id.in_(chunk))):
            if document.state == RowState.INDEXED:
                document.state, document.updated_at = RowState.PENDING_INDEX, now
    detail = {
        "change": change,
        "person_event_id": event.id,
        "from_person_id": event.from_person_id,
        "into_person_id": event.into_person_id,
    }
    outbox.document_events(
        session,
        outbox.DOCUMENT_RELINKED,
        list(document_ids),
        now=now,
        data={i: detail for i in document_ids},
    )
    return family


def _audit(
    session: Session, caller: Caller, event: PersonEvent, action: str, **detail: Any
) -> None:
    audit.record(
        session,
        actor=caller.user_id,
        action=action,
        target_type="person",
        target_id=event.from_person_id,
        person_ids=[event.from_person_id, event.into_person_id],
        on_behalf_of=caller.on_behalf_of,
        why=event.undo_reason if action.endswith("_undone") else event.reason,
        detail={"person_event_id": event.id, "kind": event.kind, **detail},
    )


def _merge_rows(session: Session, event: PersonEvent, source: Person, caller: Caller) -> None:
    """Everything of the source onto the target, the source pointing at the target."""
    target = event.into_person_id
    note = f"merged from {source.person_id}, person event {event.id}"
    links = moves.move_links(session, source.person_id, target, note=note)
    earlier = list(
        session.scalars(select(PersonMerge).where(PersonMerge.into_person_id == source.person_id))
    )
    for row in earlier:  # people merged into the source now point at the target
        row.into_person_id = target
    event.moved = {
        "links": links,
        "legacy_ids": moves.move_legacy_ids(session, source.person_id, target),
        "matching": moves.move_matching(session, source.person_id, target),
        "restrictions": moves.copy_restrictions(
            session, source.person_id, target, actor=caller.user_id
        ),
        "nhs_number": source.nhs_number,
        "earlier_merges": [row.person_id for row in earlier],
    }
    # Its NHS number would make every later document naming it ambiguous between the two.
    source.nhs_number = ""
    session.add(
        PersonMerge(
            person_id=source.person_id,
            into_person_id=target,
            event_id=event.id,
            created_at=event.created_at,
        )
    )
    session.flush()


def _documents(record: dict[str, Any]) -> list[int]:
    links = record.get("links", {})
    return sorted({row[0] for key in ("moved", "dropped") for row in links.get(key, [])})


def merge(
    session: Session, *, caller: Caller, source: str, target: str, reason: str, scoped: bool
) -> Outcome:
    """The CMS merged `source` into `target`: every document of the source moves to the target."""
    require_events_role(session, caller, scoped=scoped)
    reason = _reason(reason)
    if source == target:
        raise InvalidInput("a person cannot be merged into themselves")
    person = _standing(session, source, "from")
    _standing(session, target, "into")
    event = _start(session, MERGE, source, target, reason, caller)
    _merge_rows(session, event, person, caller)
    moved = _documents(event.moved)
    family = _touch(session, moved, event, "merge", event.created_at)
    _audit(session, caller, event, "person_merge", documents=len(moved))
    return Outcome(event.id, MERGE, source, target, family)


def _new_person(session: Session, person_id: str, like: Person, facts: dict[str, Any]) -> None:
    """A person the CMS made by a split or a new ID, with the facts it gave (else `like`'s)."""
    if not person_id.strip() or len(person_id) > 100:
        raise InvalidInput("a new person ID of 1 to 100 characters is needed")
    upsert_person(
        session,
        person_id=person_id,
        target_system=like.target_system,
        given_name=str(facts.get("given_name", like.given_name)),
        family_name=str(facts.get("family_name", like.family_name)),
        date_of_birth=facts.get("date_of_birth", like.date_of_birth),
        date_of_death=facts.get("date_of_death", like.date_of_death),
        nhs_number=str(facts.get("nhs_number", "")),
        service=like.service,
        extra={"created_by_person_event": True},
        legacy_ids=[],
        now=utcnow(),
    )


def split(
    session: Session,
    *,
    caller: Caller,
    source: str,
    target: str,
    document_ids: Sequence[int],
    legacy_ids: Sequence[str],
    reason: str,
    scoped: bool,
    new_person: dict[str, Any] | None = None,
) -> Outcome:
    """The CMS split `source`: the named documents (with their attachments) and legacy IDs
    ("SYSTEM:ID") move to `target`, made first from `new_person` where escr lacks it."""
    require_events_role(session, caller, scoped=scoped)
    reason = _reason(reason)
    if source == target:
        raise InvalidInput("a split moves documents to another person")
    if not document_ids and not legacy_ids:
        raise InvalidInput("name the documents (or legacy IDs) that go to the other person")
    person = _standing(session, source, "from")
    created = session.get(Person, target) is None
    if created:
        if new_person is None:
            raise NotFound(f"person {target!r} not found: give new_person to create them")
        _new_person(session, target, person, new_person)
    _standing(session, target, "into")
    wanted = family_of(session, list(document_ids))
    on_source = set(
        session.scalars(
            select(DocumentLink.document_id).where(
                DocumentLink.person_id == source, DocumentLink.document_id.in_(wanted)
            )
        )
    )
    missing = sorted(set(document_ids) - on_source)
    if missing:
        raise InvalidInput(f"documents not on {source!r}: {missing[:20]}")
    event = _start(session, SPLIT, source, target, reason, caller)
    note = f"split from {source}, person event {event.id}"
    event.moved = {
        "links": moves.move_links(session, source, target, note=note, only=wanted),
        "legacy_ids": moves.move_legacy_ids(session, source, target, only=set(legacy_ids)),
        "restrictions": moves.copy_restrictions(session, source, target, actor=caller.user_id),
        "created_person": created,
    }
    moved = _documents(event.moved)
    family = _touch(session, moved, event, "split", event.created_at)
    _audit(session, caller, event, "person_split", documents=len(moved))
    return Outcome(event.id, SPLIT, source, target, family)


def change_identifiers(
    session: Session,
    *,
    caller: Caller,
    person_id: str,
    reason: str,
    scoped: bool,
    new_person_id: str = "",
    nhs_number: str | None = None,
) -> Outcome:
    """The CMS changed a person's identifiers: a new person ID moves the whole record (a merge
    into a new person with the same facts, so old deep links follow); a new NHS number is set."""
    require_events_role(session, caller, scoped=scoped)
    reason = _reason(reason)
    person = _standing(session, person_id, "person_id")
    if not new_person_id and nhs_number is None:
        raise InvalidInput("give new_person_id or nhs_number")
    if new_person_id and session.get(Person, new_person_id) is not None:
        raise Conflict(f"person {new_person_id!r} exists: that is a merge, not a new ID")
    target = new_person_id or person_id
    if new_person_id:
        _new_person(session, new_person_id, person, {"nhs_number": person.nhs_number})
    event = _start(session, IDENTIFIERS, person_id, target, reason, caller)
    if new_person_id:
        _merge_rows(session, event, person, caller)
        event.moved = {**event.moved, "created_person": True}
    if nhs_number is not None:
        holder = session.get(Person, target)
        assert holder is not None
        event.moved = {**event.moved, "old_nhs_number": holder.nhs_number}
        holder.nhs_number = nhs_number.replace(" ", "")
    moved = _documents(event.moved)
    family = _touch(session, moved, event, "identifiers", event.created_at)
    _audit(session, caller, event, "person_identifiers", documents=len(moved))
    return Outcome(event.id, IDENTIFIERS, person_id, target, family)


def _later_events(session: Session, event: PersonEvent) -> list[int]:
    people = (event.from_person_id, event.into_person_id)
    return list(
        session.scalars(
            select(PersonEvent.id).where(
                PersonEvent.id > event.id,
                PersonEvent.undone_at.is_(None),
                or_(PersonEvent.from_person_id.in_(people), PersonEvent.into_person_id.in_(people)),
            )
        )
    )


def undo(session: Session, *, caller: Caller, event_id: int, reason: str, scoped: bool) -> Outcome:
    """Put back what an event moved. Only the latest standing event of its people can be
    undone (a later one moved links this one's record does not know of)."""
    require_events_role(session, caller, scoped=scoped)
    event = session.get(PersonEvent, event_id)
    if event is None:
        raise NotFound(f"person event {event_id} not found")
    if event.undone_at is not None:
        raise Conflict(f"person event {event_id} was undone at {event.undone_at:%Y-%m-%d %H:%M}")
    later = _later_events(session, event)
    if later:
        raise Conflict(f"undo the later events of these people first: {later}")
    event.undo_reason = _reason(reason)
    source, target, record = event.from_person_id, event.into_person_id, event.moved
    back = moves.undo_links(session, source, target, record.get("links", {}))
    moves.undo_legacy_ids(session, source, target, record.get("legacy_ids", {}))
    moves.undo_matching(session, source, record.get("matching", {}))
    moves.undo_restrictions(session, record.get("restrictions", []))
    merge_row = session.get(PersonMerge, source)
    if merge_row is not None and merge_row.event_id == event.id:
        session.delete(merge_row)
        for pid in record.get("earlier_merges", []):
            earlier = session.get(PersonMerge, pid)
            if earlier is not None:
                earlier.into_person_id = source
    person = session.get(Person, source)
    if person is not None and "nhs_number" in record:
        person.nhs_number = record["nhs_number"]
    holder = session.get(Person, target)
    if holder is not None and "old_nhs_number" in record:
        holder.nhs_number = record["old_nhs_number"]
    if holder is not None and record.get("created_person"):
        # The person the event made stays (events name it) but holds nothing, and keeps no
        # NHS number that would make later documents ambiguous between it and the source.
        holder.nhs_number = ""
        holder.extra = {**holder.extra, "emptied_by_undo_of_person_event": event.id}
    event.undone_at, event.undone_by = utcnow(), caller.user_id
    family = _touch(session, back, event, f"{event.kind}_undone", event.undone_at)
    _audit(session, caller, event, f"person_{event.kind}_undone", documents=len(back))
    return Outcome(event.id, event.kind, source, target, family, undone=True)


def event_json(session: Session, event_id: int) -> dict[str, Any]:
    """An event as the API shows it (what moved, summarised)."""
    event = session.get(PersonEvent, event_id)
    if event is None:
        raise NotFound(f"person event {event_id} not found")
    return {
        "event_id": event.id,
        "kind": event.kind,
        "from": event.from_person_id,
        "into": event.into_person_id,
        "reason": event.reason,
        "actor": event.actor,
        "on_behalf_of": event.on_behalf_of,
        "created_at": event.created_at.isoformat(),
        "documents": _documents(event.moved),
        "undone_at": event.undone_at.isoformat() if event.undone_at else None,
        "undone_by": event.undone_by,
    }
