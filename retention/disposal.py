"""Disposal proposals and their review: what is due, and who agreed to what, and why.

Separation of duties: the proposer cannot review their own proposal, children's records need
two distinct approvers, and every decision carries a justification. Approving only records a
decision; retention/destroy.py executes approved items after re-checking holds and dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.db import IN_LIST_MAX
from catalog.models_retention import (
    DisposalItem,
    DisposalProposal,
    DisposalReview,
)
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from retention import appraise
from retention.bulk import Driver, no_cycle_collection
from retention.evaluate import DUE, RETAINED, SCHEDULED, Evaluator
from retention.hold_match import holds_on
from retention.periods import not_after_today
from storage.base import BlobStore

ACTIONS = ("destroy", "extend", "reclassify", "transfer")
OPEN_ITEM = ("proposed", "approved")


def sweep(
    session: Session,
    evaluator: Evaluator,
    *,
    actor: str,
    today: date,
    store: BlobStore | None = None,
) -> tuple[DisposalProposal | None, dict[str, int]]:
    """Re-evaluate everything, then propose what is due, not held and not already proposed."""
    not_after_today(today, "a disposal sweep")
    with no_cycle_collection():
        return _sweep(session, evaluator, actor=actor, today=today, store=store)


def _sweep(
    session: Session,
    evaluator: Evaluator,
    *,
    actor: str,
    today: date,
    store: BlobStore | None,
) -> tuple[DisposalProposal | None, dict[str, int]]:
    counts = appraise.evaluate(session, evaluator, today=today, store=store)
    db = Driver(session)
    due = db.rows(
        "SELECT document_id, record_class, retain_until, children, rule_version "
        "FROM retention_decisions WHERE status = ? AND document_id NOT IN "
        "(SELECT document_id FROM disposal_items WHERE status IN (?, ?)) ORDER BY document_id",
        (DUE, *OPEN_ITEM),
    )
    held = holds_on(session, [row[0] for row in due])
    wanted = [row for row in due if row[0] not in held]
    summary = {**counts, "proposed": len(wanted), "held": len(held)}
    proposal = None
    if wanted:
        proposal = DisposalProposal(
            proposed_by=actor, created_at=utcnow(), as_of=today, rule_version=evaluator.version
        )
        session.add(proposal)
        session.flush()
        # Values come back from the driver in the database's own format and go straight in.
        db.executemany(
            "INSERT INTO disposal_items (proposal_id, document_id, record_class, retain_until, "
            "rule_version, children, action, action_value, status, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, 'destroy', '', 'proposed', '')",
            (
                (proposal.id, doc_id, cls, until, version, children)
                for doc_id, cls, until, children, version in wanted
            ),
            stored_format=True,
        )
    audit.record(
        session,
        actor=actor,
        action="disposal_propose",
        target_type="proposal",
        target_id=str(proposal.id) if proposal else "",
        detail={"as_of": today.isoformat(), "rule_version": evaluator.version, **summary},
    )
    return proposal, summary


def forecast(session: Session, evaluator: Evaluator, *, actor: str, as_of: date) -> dict[str, Any]:
    """What would be due on `as_of` under this schedule, and how much of it is held.

    A report only: nothing is decided, written or proposed (only the audit event of the read),
    so a forecast can never feed a proposal or an execution."""
    counts, due = appraise.preview(session, evaluator, as_of=as_of)
    held = holds_on(session, due)
    report = {
        "as_of": as_of.isoformat(),
        "rule_version": evaluator.version,
        "statuses": {k: counts[k] for k in (DUE, SCHEDULED, RETAINED) if k in counts},
        "due": len(due),
        "held": len(held),
        "due_not_held": len(due) - len(held),
    }
    audit.record(
        session,
        actor=actor,
        action="retention_forecast",
        target_type="schedule",
        target_id=evaluator.version,
        detail={k: v for k, v in report.items() if k != "statuses"},
    )
    return report


def get_proposal(session: Session, proposal_id: int) -> DisposalProposal:
    proposal = session.get(DisposalProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"proposal {proposal_id} not found")
    return proposal


def reviews_of(session: Session, item_ids: Sequence[int]) -> dict[int, list[DisposalReview]]:
    found: dict[int, list[DisposalReview]] = {i: [] for i in item_ids}
    for start in range(0, len(item_ids), IN_LIST_MAX):
        query = select(DisposalReview).where(
            DisposalReview.item_id.in_(item_ids[start : start + IN_LIST_MAX])
        )
        for review in session.scalars(query.order_by(DisposalReview.id)):
            found[review.item_id].append(review)
    return found


def _items(
    session: Session, proposal_id: int, item_ids: Sequence[int] | None
) -> list[DisposalItem]:
    query = select(DisposalItem).where(DisposalItem.proposal_id == proposal_id)
    if item_ids:
        query = query.where(DisposalItem.id.in_(item_ids))
    items = list(session.scalars(query.order_by(DisposalItem.id)))
    if item_ids and len(items) != len(set(item_ids)):
        raise NotFound(f"some items are not in proposal {proposal_id}")
    return items


def _check_action(action: str, value: str) -> None:
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {ACTIONS}")
    if action == "extend":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("extend needs the new date (YYYY-MM-DD) as its value") from None
    if action == "reclassify" and not value:
        raise InvalidInput("reclassify needs the new record class as its value")


def _refuse(session: Session, actor: str, proposal_id: int, why: str) -> NoReturn:
    audit.refuse(session, actor=actor, target_type="proposal", target_id=str(proposal_id), why=why)


def review(
    session: Session,
    proposal_id: int,
    *,
    actor: str,
    decision: str,
    justification: str,
    item_ids: Sequence[int] | None = None,
    action: str = "destroy",
    value: str = "",
) -> dict[str, int]:
    """Approve or reject items (all open ones where none are named); returns status counts."""
    proposal = get_proposal(session, proposal_id)
    if decision not in ("approve", "reject"):
        raise InvalidInput("a decision is approve or reject")
    if not justification.strip():
        raise InvalidInput("every decision needs a justification")
    if actor == proposal.proposed_by:
        _refuse(session, actor, proposal_id, "the proposer of a disposal cannot review it")
    _check_action(action, value)
    items = [i for i in _items(session, proposal_id, item_ids) if i.status in OPEN_ITEM]
    past = reviews_of(session, [i.id for i in items])
    now, counts = utcnow(), {"approved": 0, "awaiting_second": 0, "rejected": 0}
    for item in items:
        _decide(item, past[item.id], actor=actor, decision=decision, action=action, value=value)
        session.add(
            DisposalReview(
                item_id=item.id,
                actor=actor,
                decision=decision,
                action=action,
                action_value=value,
                justification=justification.strip(),
                at=now,
            )
        )
        key = item.status if item.status != "proposed" else "awaiting_second"
        counts[key] += 1
    audit.record(
        session,
        actor=actor,
        action=f"disposal_{decision}",
        target_type="proposal",
        target_id=str(proposal_id),
        why=justification.strip(),
        detail={"action": action, "value": value, "items": len(items), **counts},
    )
    return counts


def _decide(
    item: DisposalItem,
    past: list[DisposalReview],
    *,
    actor: str,
    decision: str,
    action: str,
    value: str,
) -> None:
    """One reviewer's decision on one item, under the separation-of-duty rules."""
    if any(r.actor == actor for r in past):
        raise Conflict(f"{actor} has already reviewed item {item.id}: a second approver must")
    if decision == "reject":
        item.status = "rejected"
        return
    approvals = [r for r in past if r.decision == "approve"]
    if approvals and (approvals[0].action, approvals[0].action_value) != (action, value):
        raise Conflict(f"item {item.id} was approved for {approvals[0].action}: agree or reject")
    item.action, item.action_value = action, value
    needed = 2 if item.children else 1
    if len(approvals) + 1 >= needed:
        item.status = "approved"


def proposal_json(session: Session, proposal: DisposalProposal) -> dict[str, Any]:
    """A proposal with its items and every review."""
    items = _items(session, proposal.id, None)
    past = reviews_of(session, [i.id for i in items])
    return {
        "proposal_id": proposal.id,
        "proposed_by": proposal.proposed_by,
        "created_at": proposal.created_at.isoformat(),
        "as_of": proposal.as_of.isoformat(),
        "rule_version": proposal.rule_version,
        "status": proposal.status,
        "items": [
            {
                "item_id": i.id,
                "document_id": i.document_id,
                "record_class": i.record_class,
                "retain_until": i.retain_until.isoformat() if i.retain_until else None,
                "children": i.children,
                "approvers_needed": 2 if i.children else 1,
                "action": i.action,
                "value": i.action_value,
                "status": i.status,
                "detail": i.detail,
                "reviews": [
                    {"actor": r.actor, "decision": r.decision, "justification": r.justification}
                    for r in past[i.id]
                ],
            }
            for i in items
        ],
    }


def proposal_summary(proposal: DisposalProposal) -> dict[str, Any]:
    """One line of a proposal list, as the API and the CLI show it."""
    return {
        "proposal_id": proposal.id,
        "proposed_by": proposal.proposed_by,
        "status": proposal.status,
        "as_of": proposal.as_of.isoformat(),
        "rule_version": proposal.rule_version,
    }


def list_proposals(session: Session) -> list[DisposalProposal]:
    return list(session.scalars(select(DisposalProposal).order_by(DisposalProposal.id.desc())))


def list_and_audit(session: Session, *, actor: str) -> list[dict[str, Any]]:
    """Every proposal's summary, newest first; the IG officer's read is audited."""
    found = [proposal_summary(p) for p in list_proposals(session)]
    audit.record(
        session,
        actor=actor,
        action="disposal_list",
        target_type="proposal",
        detail={"proposals": len(found)},
    )
    return found


def view_and_audit(session: Session, proposal_id: int, *, actor: str) -> dict[str, Any]:
    """One proposal with its items and reviews; the IG officer's read is audited."""
    shown = proposal_json(session, get_proposal(session, proposal_id))
    audit.record(
        session,
        actor=actor,
        action="disposal_view",
        target_type="proposal",
        target_id=str(proposal_id),
        detail={"items": len(shown["items"])},
    )
    return shown
