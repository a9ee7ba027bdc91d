"""Legal holds: saved criteria that stop disposal of every document they match, loaded now or
later. Matching is done at the moment of every check, never by a snapshot, and releasing a
hold only yields a re-appraisal list: nothing is destroyed by a release."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.db import IN_LIST_MAX
from catalog.models import Document
from catalog.models_retention import LegalHold, RetentionDecision
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from retention import locks
from retention.hold_match import holds_on
from storage.base import BlobStore

REASON_TYPES = ("inquiry", "litigation", "complaint", "sar")
# sar_ids: every document a subject access request collated (records/sar.py places the hold).
CRITERIA = ("classes", "person_ids", "sar_ids", "date_from", "date_to", "source_systems", "query")


def clean_criteria(raw: dict[str, Any]) -> dict[str, Any]:
    """Validated criteria: lists of strings, ISO dates, a query; at least one must be given."""
    out: dict[str, Any] = {}
    for name in ("classes", "person_ids", "sar_ids", "source_systems"):
        values = sorted({str(v).strip() for v in raw.get(name) or () if str(v).strip()})
        if values:
            out[name] = values
    for name in ("date_from", "date_to"):
        if raw.get(name):
            try:
                out[name] = date.fromisoformat(str(raw[name])).isoformat()
            except ValueError:
                raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)") from None
    if str(raw.get("query") or "").strip():
        out["query"] = str(raw["query"]).strip()
    unknown = set(raw) - set(CRITERIA)
    if unknown:
        raise InvalidInput(f"unknown hold criteria {sorted(unknown)}; known: {', '.join(CRITERIA)}")
    if not out:
        # Said in words: this reaches the IG officer's form, not only the API.
        raise InvalidInput(
            "a hold needs at least one criterion: a record class, a person, a subject access "
            "request, a date from or to, a source system, or words the documents hold"
        )
    return out


def matching_documents(session: Session, hold: LegalHold) -> list[int]:
    """Every document the hold matches now."""
    all_ids = list(session.scalars(select(Document.id).where(Document.state != "destroyed")))
    return sorted(holds_on(session, all_ids, [hold]))


def add_hold(
    session: Session,
    *,
    name: str,
    reason_type: str,
    authority: str,
    owner: str,
    criteria: dict[str, Any],
    actor: str,
    store: BlobStore | None = None,
) -> tuple[LegalHold, int]:
    """Make a hold; returns it and how many documents it matches now."""
    if reason_type not in REASON_TYPES or not name.strip() or not authority.strip():
        raise InvalidInput(f"a hold needs a name, an authority and a reason type {REASON_TYPES}")
    hold = LegalHold(
        name=name.strip(),
        reason_type=reason_type,
        authority=authority.strip(),
        owner=owner or actor,
        criteria=clean_criteria(criteria),
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(hold)
    session.flush()
    matched = matching_documents(session, hold)
    if store is not None:
        locks.sync(session, store, matched)
    audit.record(
        session,
        actor=actor,
        action="hold_add",
        target_type="hold",
        target_id=str(hold.id),
        why=hold.authority,
        detail={"criteria": hold.criteria, "reason_type": reason_type, "matched": len(matched)},
    )
    return hold, len(matched)


def get_hold(session: Session, hold_id: int) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"hold {hold_id} not found")
    return hold


def release_hold(
    session: Session, hold_id: int, *, actor: str, reason: str, store: BlobStore | None = None
) -> list[dict[str, Any]]:
    """Release a hold: returns the re-appraisal list (documents no other hold keeps)."""
    hold = get_hold(session, hold_id)
    if hold.released_at is not None:
        raise Conflict(f"hold {hold_id} was released on {hold.released_at:%Y-%m-%d}")
    if not reason.strip():
        raise InvalidInput("releasing a hold needs a reason")
    covered = matching_documents(session, hold)
    hold.released_at, hold.released_by, hold.release_reason = utcnow(), actor, reason.strip()
    session.flush()
    still_held = holds_on(session, covered)
    freed = [i for i in covered if i not in still_held]
    if store is not None:
        # Per blob: another document sharing the content may still be held.
        locks.release_blobs(session, store, freed)
    decisions: dict[int, RetentionDecision] = {}
    for start in range(0, len(freed), IN_LIST_MAX):
        query = select(RetentionDecision).where(
            RetentionDecision.document_id.in_(freed[start : start + IN_LIST_MAX])
        )
        decisions.update((d.document_id, d) for d in session.scalars(query))
    review = [_reappraisal(i, decisions.get(i)) for i in freed]
    audit.record(
        session,
        actor=actor,
        action="hold_release",
        target_type="hold",
        target_id=str(hold_id),
        why=reason,
        detail={"covered": len(covered), "to_reappraise": len(freed)},
    )
    return review


def _reappraisal(document_id: int, decision: RetentionDecision | None) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "status": decision.status if decision else "unappraised",
        "retain_until": decision.retain_until.isoformat()
        if decision and decision.retain_until
        else None,
        "reason": decision.reason if decision else "",
    }


def hold_json(hold: LegalHold) -> dict[str, Any]:
    return {
        "hold_id": hold.id,
        "name": hold.name,
        "reason_type": hold.reason_type,
        "authority": hold.authority,
        "owner": hold.owner,
        "criteria": hold.criteria,
        "created_by": hold.created_by,
        "created_at": hold.created_at.isoformat(),
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
        "released_by": hold.released_by,
        "release_reason": hold.release_reason,
    }
