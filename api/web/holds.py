"""Legal holds on the web: the list, a new hold with a preview of what it catches before it is
placed, a hold's page, and its release into a re-appraisal list (nothing is destroyed by a
release). The same functions as `escr hold ...` and /api/holds, audited alike."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import WebLogin
from api.deps import SessionDep, SettingsDep, StoreDep, WebLoginDep
from api.params import IdPath
from api.web.ig import ig_page, problems
from api.web.render import check_csrf, flashes
from catalog import audit
from catalog.models import Document
from catalog.models_retention import LegalHold, RetentionDecision
from core.errors import Conflict, InvalidInput, NotFound
from records.access import Caller, require_role, visible_documents
from records.consoles import AUDIT_ROLES
from retention import hold_preview, holds
from retention.hold_match import holds_on
from retention.rules import reading_evaluator

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=2000)]
SHOWN = 20  # documents listed on a hold's page and in a preview


def _ig(session: Session, login: WebLogin, what: str) -> str:
    require_role(session, login.caller, AUDIT_ROLES, what)
    return login.caller.user_id


def _documents(session: Session, caller: Caller, ids: list[int]) -> list[dict[str, Any]]:
    """The documents, titled where the caller may see them (a restricted class needs a grant)."""
    found = list(session.scalars(select(Document).where(Document.id.in_(ids))))
    visible = {d.id for d in visible_documents(session, caller, found)}
    decisions = {
        d.document_id: d
        for d in session.scalars(
            select(RetentionDecision).where(RetentionDecision.document_id.in_(ids))
        )
    }
    rows = []
    for d in sorted(found, key=lambda d: d.id):
        decision = decisions.get(d.id)
        rows.append(
            {
                "id": d.id,
                "title": d.title if d.id in visible else "",
                "date": d.document_date,
                "source": d.source_system,
                "status": decision.status if decision else "not appraised",
                "retain_until": decision.retain_until if decision else None,
            }
        )
    return rows


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]


@router.get("/ig/holds")
def list_holds(request: Request, session: SessionDep, login: WebLoginDep) -> Response:
    actor = _ig(session, login, "legal holds")
    every = session.scalars(select(LegalHold).order_by(LegalHold.id.desc())).all()
    audit.record(session, actor=actor, action="hold_list", target_type="hold")
    return ig_page(
        request,
        "holds.html",
        login,
        active=[h for h in every if h.released_at is None],
        released=[h for h in every if h.released_at is not None],
        done=flashes.take(login),
    )


def _form_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLogin,
    form: dict[str, Any],
    **extra: Any,
) -> Response:
    classes = sorted(reading_evaluator(session, settings.home).schedule.rules.items())
    return ig_page(
        request,
        "hold_new.html",
        login,
        form=form,
        classes=[(name, rule.title) for name, rule in classes],
        reason_types=holds.REASON_TYPES,
        **extra,
    )


@router.get("/ig/holds/new")
def new_hold(
    request: Request, session: SessionDep, settings: SettingsDep, login: WebLoginDep
) -> Response:
    _ig(session, login, "a new legal hold")
    blank = {"reason_type": "litigation", "classes": []}
    return _form_page(request, session, settings, login, blank, preview=None, error="")


@router.post("/ig/holds/new")
def preview_or_place(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    step: Annotated[str, Form(max_length=10)] = "preview",
    name: Short = "",
    reason_type: Short = "",
    authority: Short = "",
    owner: Short = "",
    classes: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    person_ids: Long = "",
    source_systems: Long = "",
    date_from: Short = "",
    date_to: Short = "",
    query: Short = "",
) -> Response:
    """`preview`: what the criteria catch now (count and first documents), nothing saved;
    `place`: the hold is made. A refused form comes back filled, saying what was wrong."""
    check_csrf(login, csrf)
    actor = _ig(session, login, "a new legal hold")
    form = {
        "name": name,
        "reason_type": reason_type,
        "authority": authority,
        "owner": owner,
        "classes": classes[:100],
        "person_ids": person_ids,
        "source_systems": source_systems,
        "date_from": date_from,
        "date_to": date_to,
        "query": query,
    }
    criteria = {
        "classes": form["classes"],
        "person_ids": _split(person_ids),
        "source_systems": _split(source_systems),
        "date_from": date_from or None,
        "date_to": date_to or None,
        "query": query,
    }
    try:
        if step == "place":
            hold, matched = holds.add_hold(
                session,
                name=name,
                reason_type=reason_type,
                authority=authority,
                owner=owner.strip() or actor,
                criteria=criteria,
                actor=actor,
                store=store,
            )
            flashes.put(login, f"Hold {hold.id} placed: it holds {matched} documents now.")
            return RedirectResponse(f"/ig/holds/{hold.id}", status_code=303)
        count, first = hold_preview.preview(session, criteria, actor=actor, first=SHOWN)
    except InvalidInput as exc:
        return _form_page(
            request, session, settings, login, form, status_code=422, preview=None, error=str(exc)
        )
    shown = {"count": count, "documents": _documents(session, login.caller, first)}
    return _form_page(request, session, settings, login, form, preview=shown, error="")


@router.get("/ig/holds/{hold_id}")
def hold_page(
    request: Request, hold_id: IdPath, session: SessionDep, login: WebLoginDep
) -> Response:
    """A hold: what it holds now; once released, the re-appraisal list (what it held that no
    other hold keeps, with each document's retention status)."""
    actor = _ig(session, login, "a legal hold")
    hold = holds.get_hold(session, hold_id)
    covered = holds.matching_documents(session, hold)
    if hold.released_at is not None:
        still = holds_on(session, covered)
        listed = [i for i in covered if i not in still]
    else:
        listed = covered
    audit.record(
        session,
        actor=actor,
        action="hold_view",
        target_type="hold",
        target_id=str(hold_id),
        detail={"matched": len(covered)},
    )
    return ig_page(
        request,
        "hold.html",
        login,
        hold=hold,
        total=len(listed),
        documents=_documents(session, login.caller, listed[:200]),
        done=flashes.take(login),
        problem=problems.take(login),
    )


@router.post("/ig/holds/{hold_id}/release")
def release(
    hold_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    reason: Long = "",
) -> Response:
    check_csrf(login, csrf)
    actor = _ig(session, login, "releasing a legal hold")
    try:
        review = holds.release_hold(session, hold_id, actor=actor, reason=reason, store=store)
        flashes.put(
            login,
            f"Hold {hold_id} released: {len(review)} documents to re-appraise (listed below). "
            "Nothing was destroyed.",
        )
    except (InvalidInput, Conflict, NotFound) as exc:
        problems.put(login, str(exc))
    return RedirectResponse(f"/ig/holds/{hold_id}", status_code=303)
