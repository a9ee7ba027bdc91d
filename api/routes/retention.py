"""Retention, disposal, holds and audit routes: the same functions the CLI calls.

Every route needs an IG officer or administrator (a refusal is audited). The day a sweep,
evaluation or execution is taken as of is the server's: no body sets it, and a body with a
field the route does not know is refused, so `{"today": ...}` is a 422, never ignored. A
review, an execution or a hold's release needs a named person: the static token (a service
account) is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ActorDep, IndexDep, ReviewerDep, SessionDep, SettingsDep, StoreDep
from api.params import BoundedDate, Id, IdPath
from api.schemas import errors
from api.schemas.retention import (
    AuditEntry,
    AuditVerification,
    Certificate,
    Drift,
    Evaluation,
    Execution,
    Forecast,
    Hold,
    NewHold,
    Proposal,
    ProposalSummary,
    Released,
    ReviewCounts,
    Sweep,
    Verification,
)
from catalog import audit, audit_anchor
from retention import certificates, disposal, hold_match, holds, locks
from retention.appraise import evaluate_and_audit
from retention.destroy import execute
from retention.periods import server_today
from retention.rules import current_evaluator, reading_evaluator
from retention.verify import stored_certificate, verify_destruction

router = APIRouter(tags=["retention and audit"])

# Every route but the public key's answers these; a route adds what it alone can answer.
GOVERNANCE = errors(401, 403, e403="needs an IG officer or administrator (the refusal is audited)")
REVIEWER = errors(
    401,
    403,
    e403="needs a named IG officer or administrator: the service token is refused, and so is "
    "the proposer reviewing their own proposal (audited)",
)
CertificatePath = Annotated[str, Path(description="the certificate's ID, as execution gave it")]


class Strict(BaseModel):
    # An unknown field is a 422: a client that sends `today` learns it is not honoured.
    model_config = ConfigDict(extra="forbid")


class NoOptions(Strict):
    """The body of sweep, evaluate and execute: empty (`{}`) or absent."""


class ReviewBody(Strict):
    justification: str = Field(description="why, kept with the decision")
    items: list[Id] = Field(
        default_factory=list, description="the item IDs decided; none: every open item"
    )
    action: str = Field(default="destroy", description="destroy, extend, reclassify or transfer")
    value: str = Field(default="", description="extend's new date (YYYY-MM-DD), reclassify's class")


class HoldBody(Strict):
    name: str
    reason_type: str = Field(description="why the records are kept (litigation, inquiry, ...)")
    authority: str = Field(description="who ordered the hold")
    owner: str = Field(default="", description="who answers for it; none: the caller")
    classes: list[str] = Field(default_factory=list, description="hold these record classes")
    person_ids: list[str] = Field(default_factory=list, description="hold these people's records")
    source_systems: list[str] = Field(default_factory=list, description="hold these sources")
    date_from: BoundedDate | None = Field(default=None, description="documents dated from")
    date_to: BoundedDate | None = Field(default=None, description="documents dated to")
    query: str = Field(default="", description="hold the documents these words find")


class ReleaseBody(Strict):
    reason: str = Field(description="why the hold ends")


@router.post(
    "/retention/evaluate", response_model=Evaluation, responses={**GOVERNANCE, **errors(422)}
)
def evaluate(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    actor: ActorDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Re-evaluate every document against the schedule in force, as of the server's today."""
    evaluator = current_evaluator(session, settings.home, actor=actor)
    counts = evaluate_and_audit(session, evaluator, actor=actor, today=server_today(), store=store)
    return {"rule_version": evaluator.version, **counts}


@router.post("/retention/sweep", response_model=Sweep, responses={**GOVERNANCE, **errors(422)})
def sweep(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    actor: ActorDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Propose for disposal what is due today (the server's), not held and class-confirmed."""
    evaluator = current_evaluator(session, settings.home, actor=actor)
    proposal, summary = disposal.sweep(
        session, evaluator, actor=actor, today=server_today(), store=store
    )
    return {"proposal_id": proposal.id if proposal else None, **summary}


@router.get("/retention/forecast", response_model=Forecast, responses={**GOVERNANCE, **errors(422)})
def forecast(
    as_of: Annotated[BoundedDate, Query(description="the day to forecast (YYYY-MM-DD)")],
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> dict[str, Any]:
    """What would be due on `as_of`: a report that writes nothing but its audit event, and
    that no proposal or execution can use."""
    evaluator = reading_evaluator(session, settings.home)
    return disposal.forecast(session, evaluator, actor=actor, as_of=as_of)


@router.get("/retention/drift", response_model=Drift, responses=GOVERNANCE)
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


@router.get("/retention/proposals", response_model=list[ProposalSummary], responses=GOVERNANCE)
def proposals(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Every disposal proposal, newest first."""
    return disposal.list_and_audit(session, actor=actor)


@router.get(
    "/retention/proposals/{proposal_id}",
    response_model=Proposal,
    responses={**GOVERNANCE, **errors(404, 422, e404="no such proposal")},
)
def proposal(proposal_id: IdPath, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A proposal with its items and every review of them."""
    return disposal.view_and_audit(session, proposal_id, actor=actor)


REVIEW_ANSWERS = {
    **REVIEWER,
    **errors(
        404,
        409,
        422,
        e404="no such proposal, or an item not in it",
        e409="the caller has already reviewed an item, or it was approved for another action",
    ),
}


@router.post(
    "/retention/proposals/{proposal_id}/approve",
    response_model=ReviewCounts,
    responses=REVIEW_ANSWERS,
)
def approve(
    proposal_id: IdPath, body: ReviewBody, session: SessionDep, actor: ReviewerDep
) -> dict[str, int]:
    """Approve the named items (or every open one) for an action; a child's record needs two
    approvers, neither of them the proposer."""
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


@router.post(
    "/retention/proposals/{proposal_id}/reject",
    response_model=ReviewCounts,
    responses=REVIEW_ANSWERS,
)
def reject(
    proposal_id: IdPath, body: ReviewBody, session: SessionDep, actor: ReviewerDep
) -> dict[str, int]:
    """Reject the named items (or every open one): they are not disposed of."""
    return disposal.review(
        session,
        proposal_id,
        actor=actor,
        decision="reject",
        justification=body.justification,
        item_ids=body.items or None,
    )


@router.post(
    "/retention/proposals/{proposal_id}/execute",
    summary="Execute",
    response_model=Execution,
    responses={
        **REVIEWER,
        **errors(404, 409, 422, e404="no such proposal", e409="the proposal is not open"),
    },
)
def run(
    proposal_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    actor: ReviewerDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Carry out the approved items, re-checked as of the server's today; returns the
    destruction certificate's ID."""
    evaluator = current_evaluator(session, settings.home, actor=actor)
    outcome = execute(
        session,
        proposal_id,
        actor=actor,
        evaluator=evaluator,
        store=store,
        index=index,
        home=settings.home,
        today=server_today(),
    )
    package = outcome.transfer_package.name if outcome.transfer_package else None
    return {"certificate_id": outcome.certificate_id, "transfer_package": package, **outcome.counts}


@router.get(
    "/retention/certificates/{certificate_id}",
    response_model=Certificate,
    responses={**GOVERNANCE, **errors(404, e404="no such certificate")},
)
def certificate(
    certificate_id: CertificatePath, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """A destruction certificate, as signed."""
    cert = stored_certificate(session, certificate_id)
    audit.record(
        session,
        actor=actor,
        action="certificate_view",
        target_type="certificate",
        target_id=certificate_id,
    )
    return cert


@router.post(
    "/retention/certificates/{certificate_id}/verify",
    summary="Verify a certificate",
    response_model=Verification,
    responses={**GOVERNANCE, **errors(404, e404="no such certificate")},
)
def verify(
    certificate_id: CertificatePath,
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


@router.get(
    "/retention/public-key",
    response_class=PlainTextResponse,
    responses={200: {"description": "the Ed25519 public key, PEM"}},
)
def public_key(settings: SettingsDep) -> str:
    """The key that verifies the service's destruction certificates: anyone may fetch it."""
    return certificates.export_public_key(settings.home / "keys").decode()


@router.post("/holds", response_model=NewHold, responses={**GOVERNANCE, **errors(422)})
def add_hold(
    body: HoldBody, session: SessionDep, store: StoreDep, actor: ActorDep
) -> dict[str, Any]:
    """Place a legal hold: what its criteria match cannot be disposed of until it is released."""
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


@router.get("/holds", response_model=list[Hold], responses=GOVERNANCE)
def list_holds(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The holds in force."""
    audit.record(session, actor=actor, action="hold_list", target_type="hold")
    return [holds.hold_json(h) for h in hold_match.active_holds(session)]


@router.post(
    "/holds/{hold_id}/release",
    response_model=Released,
    responses={
        **REVIEWER,
        **errors(404, 409, 422, e404="no such hold", e409="the hold is already released"),
    },
)
def release_hold(
    hold_id: IdPath, body: ReleaseBody, session: SessionDep, store: StoreDep, actor: ReviewerDep
) -> dict[str, Any]:
    """Release a hold: nothing is destroyed; the answer lists what to re-appraise. Ending a
    legal hold lets its records be disposed of, so a named person must (not the service token)."""
    review = holds.release_hold(session, hold_id, actor=actor, reason=body.reason, store=store)
    return {"hold_id": hold_id, "reappraise": review}


@router.get("/audit/verify", response_model=AuditVerification, responses=GOVERNANCE)
def audit_verify(session: SessionDep, settings: SettingsDep, actor: ActorDep) -> dict[str, Any]:
    """The chain, and every signed checkpoint of it kept outside the database."""
    checked = audit_anchor.verify_and_anchor(session, settings)
    head_hash, count = audit.head(session)
    return {
        "intact": not checked.problems,
        "events": count,
        "head": head_hash,
        "checkpoints": checked.checkpoints,
        "problems": checked.problems,
    }


@router.get(
    "/audit/people/{person_id}",
    summary="Who looked at a person's record",
    response_model=list[AuditEntry],
    responses={**GOVERNANCE, **errors(422)},
)
def audit_person(
    person_id: Annotated[str, Path(description="a person's ID (the target system's)")],
    session: SessionDep,
    actor: ActorDep,
    reads_only: Annotated[
        bool, Query(description="only reads of the record, not changes to it")
    ] = False,
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
