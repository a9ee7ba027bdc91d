"""Retention, disposal, holds and audit routes: the same functions the CLI calls.

Holds are visible to every authenticated caller for now; hiding them from callers without the
IG role comes with roles (issue 5).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from api.deps import ActorDep, IndexDep, SessionDep, SettingsDep, StoreDep
from catalog import audit
from retention import certificates, disposal, holds, locks
from retention.appraise import evaluate_and_audit
from retention.destroy import execute
from retention.rules import current_evaluator
from retention.verify import stored_certificate, verify_destruction

router = APIRouter()


class AsOf(BaseModel):
    today: date | None = None


class ReviewBody(BaseModel):
    justification: str
    items: list[int] = Field(default_factory=list)
    action: str = "destroy"
    value: str = ""


class HoldBody(BaseModel):
    name: str
    reason_type: str
    authority: str
    owner: str = ""
    classes: list[str] = Field(default_factory=list)
    person_ids: list[str] = Field(default_factory=list)
    source_systems: list[str] = Field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    query: str = ""


class ReleaseBody(BaseModel):
    reason: str


def _today(body: AsOf | None) -> date:
    return body.today if body and body.today else datetime.now(UTC).date()


@router.post("/retention/evaluate")
def evaluate(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    actor: ActorDep,
    body: AsOf | None = None,
) -> dict[str, Any]:
    """Re-evaluate every document against the schedule in force."""
    evaluator = current_evaluator(session, settings.home, actor=actor)
    counts = evaluate_and_audit(session, evaluator, actor=actor, today=_today(body), store=store)
    return {"rule_version": evaluator.version, **counts}


@router.post("/retention/sweep")
def sweep(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    actor: ActorDep,
    body: AsOf | None = None,
) -> dict[str, Any]:
    """Propose for disposal what is due, not held and class-confirmed."""
    evaluator = current_evaluator(session, settings.home, actor=actor)
    proposal, summary = disposal.sweep(
        session, evaluator, actor=actor, today=_today(body), store=store
    )
    return {"proposal_id": proposal.id if proposal else None, **summary}


@router.get("/retention/drift")
def drift(session: SessionDep, store: StoreDep, actor: ActorDep) -> dict[str, Any]:
    """Blobs whose store locks (S3 Object Lock) differ from the catalog's decisions and holds."""
    report = locks.drift(session, store)
    audit.record(
        session,
        actor=actor,
        action="retention_drift",
        target_type="store",
        detail={"checked": report["checked"], "drift": len(report["drift"])},
    )
    return report


@router.get("/retention/proposals")
def proposals(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    return [disposal.proposal_summary(p) for p in disposal.list_proposals(session)]


@router.get("/retention/proposals/{proposal_id}")
def proposal(proposal_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return disposal.proposal_json(session, disposal.get_proposal(session, proposal_id))


@router.post("/retention/proposals/{proposal_id}/approve")
def approve(
    proposal_id: int, body: ReviewBody, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    return disposal.review(
        session,
        proposal_id,
        actor=actor,
        decision="approve",
        justification=body.justification,
        item_ids=body.items or None,
        action=body.action,
        value=body.value,
    )


@router.post("/retention/proposals/{proposal_id}/reject")
def reject(
    proposal_id: int, body: ReviewBody, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    return disposal.review(
        session,
        proposal_id,
        actor=actor,
        decision="reject",
        justification=body.justification,
        item_ids=body.items or None,
    )


@router.post("/retention/proposals/{proposal_id}/execute")
def run(
    proposal_id: int,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    actor: ActorDep,
    body: AsOf | None = None,
) -> dict[str, Any]:
    """Carry out the approved items; returns the destruction certificate's ID."""
    evaluator = current_evaluator(session, settings.home, actor=actor)
    outcome = execute(
        session,
        proposal_id,
        actor=actor,
        evaluator=evaluator,
        store=store,
        index=index,
        home=settings.home,
        today=_today(body),
    )
    package = outcome.transfer_package.name if outcome.transfer_package else None
    return {"certificate_id": outcome.certificate_id, "transfer_package": package, **outcome.counts}


@router.get("/retention/certificates/{certificate_id}")
def certificate(certificate_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return stored_certificate(session, certificate_id)


@router.post("/retention/certificates/{certificate_id}/verify")
def verify(
    certificate_id: str,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    actor: ActorDep,
) -> dict[str, Any]:
    """Signature and absence checks for a certificate the service issued."""
    cert = stored_certificate(session, certificate_id)
    public = certificates.export_public_key(settings.home / "keys")
    problems = verify_destruction(session, cert, public_key_pem=public, store=store, index=index)
    audit.record(
        session,
        actor=actor,
        action="verify_destruction",
        target_type="certificate",
        target_id=certificate_id,
        detail={"problems": len(problems)},
    )
    return {"verified": not problems, "problems": problems}


@router.get("/retention/public-key", response_class=PlainTextResponse)
def public_key(settings: SettingsDep) -> str:
    return certificates.export_public_key(settings.home / "keys").decode()


@router.post("/holds")
def add_hold(
    body: HoldBody, session: SessionDep, store: StoreDep, actor: ActorDep
) -> dict[str, Any]:
    criteria = body.model_dump(include={"classes", "person_ids", "source_systems", "query"})
    criteria["date_from"] = body.date_from.isoformat() if body.date_from else None
    criteria["date_to"] = body.date_to.isoformat() if body.date_to else None
    hold, matched = holds.add_hold(
        session,
        name=body.name,
        reason_type=body.reason_type,
        authority=body.authority,
        owner=body.owner or actor,
        criteria=criteria,
        actor=actor,
        store=store,
    )
    return {**holds.hold_json(hold), "matched_now": matched}


@router.get("/holds")
def list_holds(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    audit.record(session, actor=actor, action="hold_list", target_type="hold")
    return [holds.hold_json(h) for h in holds.active_holds(session)]


@router.post("/holds/{hold_id}/release")
def release_hold(
    hold_id: int, body: ReleaseBody, session: SessionDep, store: StoreDep, actor: ActorDep
) -> dict[str, Any]:
    """Release a hold: nothing is destroyed; the answer lists what to re-appraise."""
    review = holds.release_hold(session, hold_id, actor=actor, reason=body.reason, store=store)
    return {"hold_id": hold_id, "reappraise": review}


@router.get("/audit/verify")
def audit_verify(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    problems = audit.verify_chain(session)
    head_hash, count = audit.head(session)
    return {"intact": not problems, "events": count, "head": head_hash, "problems": problems}


@router.get("/audit/people/{person_id}")
def audit_person(
    person_id: str, session: SessionDep, actor: ActorDep, reads_only: bool = False
) -> list[dict[str, Any]]:
    """Who looked at this person's record, newest first."""
    report = audit.person_report(session, person_id, reads_only=reads_only)
    audit.record(
        session,
        actor=actor,
        action="audit_person",
        target_type="person",
        target_id=person_id,
        detail={"events": len(report)},
    )
    return report
