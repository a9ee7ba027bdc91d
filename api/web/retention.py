"""Retention on the web: the schedule, sweeps and forecasts, disposal proposals with their
reviews (separation of duties shown), execution, and signed destruction certificates.

The same functions as `escr retention ...` and /api/retention (each audits what it does); the
day is the server's. A web user is always a named person, so a review or an execution is
theirs; the proposer is never offered a review, and the page says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import WebLogin
from api.deps import IndexDep, SessionDep, SettingsDep, StoreDep, WebLoginDep
from api.params import IdPath, parse_date
from api.web.ig import ig_page, problems
from api.web.render import check_csrf, flashes
from catalog import audit
from catalog.models import Document
from catalog.models_retention import (
    DestructionCertificate,
    RetentionDecision,
    RetentionSchedule,
)
from core.errors import Conflict, InvalidInput, NotFound
from records.access import Caller, require_role, visible_documents
from records.consoles import AUDIT_ROLES
from retention import certificates, disposal
from retention.destroy import execute
from retention.periods import server_today
from retention.rules import current_evaluator, reading_evaluator
from retention.schedule import council_override_path, load_schedule
from retention.verify import stored_certificate, verify_destruction

router = APIRouter(include_in_schema=False)
Justification = Annotated[str, Form(max_length=2000)]
CertificateId = Annotated[str, Query(max_length=64)]


def _safe(name: str) -> str:
    return "certificate-" + "".join(c for c in name[:64] if c.isalnum() or c in "-_")


def _ig(session: Session, login: WebLogin, what: str) -> str:
    require_role(session, login.caller, AUDIT_ROLES, what)
    return login.caller.user_id


@router.get("/ig/retention")
def overview(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    as_of: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    actor = _ig(session, login, "retention")
    evaluator = reading_evaluator(session, settings.home)
    forecast, error = None, ""
    if as_of:
        try:
            day = parse_date(as_of, "Forecast date")
            assert day is not None
            forecast = disposal.forecast(session, evaluator, actor=actor, as_of=day)
        except InvalidInput as exc:
            error = str(exc)
    certs = session.scalars(
        select(DestructionCertificate).order_by(DestructionCertificate.issued_at.desc()).limit(20)
    ).all()
    return ig_page(
        request,
        "retention.html",
        login,
        status_code=422 if error else 200,
        version=evaluator.version,
        proposals=disposal.list_and_audit(session, actor=actor),
        certificates=certs,
        as_of=as_of,
        forecast=forecast,
        error=error,
        today=server_today(),
        done=flashes.take(login),
        problem=problems.take(login),
    )


@router.get("/ig/retention/schedule")
def schedule(
    request: Request, session: SessionDep, settings: SettingsDep, login: WebLoginDep
) -> Response:
    """The rules in force with their citations, where each came from, and every version used."""
    actor = _ig(session, login, "the retention schedule")
    override = council_override_path(settings.home)
    current = reading_evaluator(session, settings.home).schedule
    ours = load_schedule()
    versions = session.scalars(
        select(RetentionSchedule).order_by(RetentionSchedule.recorded_at.desc())
    ).all()
    audit.record(
        session,
        actor=actor,
        action="view_schedule",
        target_type="schedule",
        target_id=current.version,
    )
    return ig_page(
        request,
        "schedule.html",
        login,
        schedule=current,
        changed={name for name, rule in current.rules.items() if ours.rules.get(name) != rule},
        removed=sorted(set(ours.rules) - set(current.rules)),
        override=override,
        has_override=override.is_file(),
        versions=versions,
    )


@router.post("/ig/retention/sweep")
def sweep(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
) -> Response:
    """Evaluate everything and propose what is due today (the server's day)."""
    check_csrf(login, csrf)
    actor = _ig(session, login, "a retention sweep")
    evaluator = current_evaluator(session, settings.home, actor=actor)
    proposal, summary = disposal.sweep(
        session, evaluator, actor=actor, today=server_today(), store=store
    )
    if proposal is None:
        flashes.put(
            login,
            f"Sweep done: nothing new is due today ({summary.get('held', 0)} due but held).",
        )
        return RedirectResponse("/ig/retention", status_code=303)
    flashes.put(
        login,
        f"Proposal {proposal.id}: {summary['proposed']} documents due today "
        f"({summary['held']} more due but held). Another IG officer must review it.",
    )
    return RedirectResponse(f"/ig/retention/proposals/{proposal.id}", status_code=303)


def _titles(session: Session, caller: Caller, document_ids: list[int]) -> dict[int, str]:
    """Titles of the documents the caller may see (a restricted class needs its grant)."""
    documents = list(session.scalars(select(Document).where(Document.id.in_(document_ids))))
    return {d.id: d.title for d in visible_documents(session, caller, documents)}


def duties(shown: dict[str, Any], me: str) -> dict[str, Any]:
    """What this officer may do with the proposal, and why not where they may not: the
    proposer reviews nothing; nobody reviews an item twice; a child's record needs two."""
    mine = shown["proposed_by"] == me
    for item in shown["items"]:
        reviewed = next((r for r in item["reviews"] if r["actor"] == me), None)
        approvals = [r for r in item["reviews"] if r["decision"] == "approve"]
        item["approvals"] = len(approvals)
        item["may_review"] = False
        if item["status"] not in disposal.OPEN_ITEM:
            item["why_not"] = f"{item['status']}: nothing left to decide"
        elif mine:
            item["why_not"] = "you proposed it: another IG officer must review it"
        elif reviewed:
            item["why_not"] = f"you have {reviewed['decision']}d it: " + (
                "a second, different approver is needed (a child's record)"
                if item["status"] == "proposed"
                else "it waits for execution"
            )
        else:
            item["may_review"] = True
            item["why_not"] = ""
    return {
        "mine": mine,
        "reviewable": [i for i in shown["items"] if i["may_review"]],
        "approved": [i for i in shown["items"] if i["status"] == "approved"],
    }


@router.get("/ig/retention/proposals/{proposal_id}")
def proposal(
    request: Request,
    proposal_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
) -> Response:
    actor = _ig(session, login, "a disposal proposal")
    shown = disposal.view_and_audit(session, proposal_id, actor=actor)
    ids = [i["document_id"] for i in shown["items"]]
    titles = _titles(session, login.caller, ids)
    reasons = dict(
        session.execute(
            select(RetentionDecision.document_id, RetentionDecision.reason).where(
                RetentionDecision.document_id.in_(ids)
            )
        ).all()
    )
    certificate = session.scalar(
        select(DestructionCertificate.id).where(DestructionCertificate.proposal_id == proposal_id)
    )
    return ig_page(
        request,
        "proposal.html",
        login,
        p=shown,
        titles=titles,
        reasons=reasons,
        # A class by its name in the schedule ("Adult social care case record"), its code beside.
        class_titles={
            name: rule.title
            for name, rule in reading_evaluator(session, settings.home).schedule.rules.items()
        },
        duty=duties(shown, actor),
        actions=disposal.ACTIONS,
        certificate=certificate,
        done=flashes.take(login),
        problem=problems.take(login),
    )


def _decided(login: WebLogin, proposal_id: int, decide: Callable[[], str]) -> Response:
    """Back to the proposal, saying what was done or what was wrong (never an error page for
    a refused form: the officer fixes it where they are)."""
    try:
        flashes.put(login, decide())
    except (InvalidInput, Conflict, NotFound) as exc:
        problems.put(login, str(exc))
    return RedirectResponse(f"/ig/retention/proposals/{proposal_id}", status_code=303)


@router.post("/ig/retention/proposals/{proposal_id}/review")
def review(
    proposal_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form(max_length=10)],
    justification: Justification = "",
    items: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    action: Annotated[str, Form(max_length=20)] = "destroy",
    value: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Approve or reject the ticked items (disposal.review: the proposer is refused, 403)."""
    check_csrf(login, csrf)
    actor = _ig(session, login, "reviewing a disposal")

    def decide() -> str:
        if not items:
            raise InvalidInput("tick the items you decide on")
        counts = disposal.review(
            session,
            proposal_id,
            actor=actor,
            decision=decision,
            justification=justification,
            item_ids=items,
            action=action if decision == "approve" else "destroy",
            value=value.strip() if decision == "approve" else "",
        )
        return (
            f"{decision.capitalize()}d: {counts['approved']} approved, "
            f"{counts['awaiting_second']} awaiting a second approver, "
            f"{counts['rejected']} rejected."
        )

    return _decided(login, proposal_id, decide)


@router.post("/ig/retention/proposals/{proposal_id}/execute")
def run(
    proposal_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
) -> Response:
    """Carry out the approved items, re-checked as of the server's today."""
    check_csrf(login, csrf)
    actor = _ig(session, login, "executing a disposal")

    def decide() -> str:
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
        done = ", ".join(f"{n} {state}" for state, n in sorted(outcome.counts.items()))
        cert = f"; certificate {outcome.certificate_id}" if outcome.certificate_id else ""
        return f"Executed: {done}{cert}."

    return _decided(login, proposal_id, decide)


@router.get("/ig/retention/certificates/{certificate_id}.json")
def certificate_file(certificate_id: str, session: SessionDep, login: WebLoginDep) -> Response:
    """The certificate as a file, to keep or to verify elsewhere with the public key."""
    actor = _ig(session, login, "a destruction certificate")
    cert = stored_certificate(session, certificate_id[:64])
    audit.record(
        session,
        actor=actor,
        action="certificate_download",
        target_type="certificate",
        target_id=certificate_id[:64],
    )
    return Response(
        json.dumps(cert, indent=2, sort_keys=True),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{_safe(certificate_id)}.json"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/ig/retention/certificates/{certificate_id}")
def certificate(
    request: Request,
    certificate_id: str,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    login: WebLoginDep,
    verify: bool = False,
) -> Response:
    """A destruction certificate as signed; `verify`: its signature and that nothing is left."""
    actor = _ig(session, login, "a destruction certificate")
    cert = stored_certificate(session, certificate_id[:64])
    checked = None
    if verify:
        public = certificates.export_public_key(settings.home / "keys")
        checked = verify_destruction(session, cert, public_key_pem=public, store=store, index=index)
    audit.record(
        session,
        actor=actor,
        action="verify_destruction" if verify else "certificate_view",
        target_type="certificate",
        target_id=certificate_id[:64],
        detail={"problems": len(checked)} if checked is not None else None,
    )
    return ig_page(
        request, "certificate.html", login, cert=cert, body=cert["body"], checked=checked
    )
