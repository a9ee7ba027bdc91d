"""Redaction review of one document of a subject access request, and the bundle.

The review page lists the document's suggestions (accept with an exemption code and a reason,
or reject with a reason), its decided redactions with their sign-off, and its text with every
occurrence of each term marked; a reviewer adds a term, in this document or every document of
the request. The bundle is built and gated here, and a release downloaded. The same records
and api functions as /api/sar, audited alike; forms post with the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep, StoreDep, WebLoginDep
from api.params import IdPath
from api.routes.documents import rendition_response
from api.routes.sar_review import stream_release_file
from api.web.ig import ig_page, problems
from api.web.render import check_csrf, flashes
from api.web.sar import REFUSED, Csrf, Long, Short, act, back_to, ig_actor
from api.web.sar_jobs import jobs
from catalog import renditions
from catalog.models import Document
from core.errors import InvalidInput
from records import sar, sar_grants, sar_redact, sar_review, sar_suggest

router = APIRouter(include_in_schema=False)
Term = Annotated[str, Form(max_length=sar_redact.TERM_MAX)]


def _to_document(sar_id: int, document_id: int, anchor: str = "") -> Response:
    target = f"/ig/sar/{sar_id}/documents/{document_id}"
    return RedirectResponse(target + (f"#{anchor}" if anchor else ""), status_code=303)


def _box_json(row: dict[str, Any]) -> dict[str, Any]:
    x, y, w, h = row["box"]
    return {"page": row["page"], "x": x, "y": y, "w": w, "h": h}


def _rendition_url(session: Session, sar_id: int, document_id: int, view_id: int) -> str | None:
    """The document's rendition for the area picker, where it is made, through the request
    (review_rendition); its fetch names the page's audited view, so it is part of that look,
    not a second event (nor a second writer beside the reviewer's next form on SQLite)."""
    document = session.get(Document, document_id)
    made = renditions.current(session, document) if document is not None else None
    if not (made and made.sha256):
        return None
    return f"/ig/sar/{sar_id}/documents/{document_id}/rendition?view={view_id}"


@router.get("/ig/sar/{sar_id}/documents/{document_id}")
def review_page(
    request: Request,
    sar_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
) -> Response:
    actor = ig_actor(session, login, "redaction review")
    sar_review.check_granted(session, login.caller, sar_id, document_id)
    found = sar_review.document_for_review(
        session, sar_id, document_id, actor=actor, exemptions_file=settings.sar.exemptions_file
    )
    rows = found["redactions"]
    status = {r["id"]: r["status"] for r in rows}
    return ig_page(
        request,
        "sar_document.html",
        login,
        d=found,
        r=sar.get_request(session, sar_id),
        suggested=[r for r in rows if r["status"] == "suggested"],
        decided=[r for r in rows if r["status"] != "suggested"],
        mark_class={
            rid: "mark-accepted" if s == "accepted" else "mark-suggested"
            for rid, s in status.items()
        },
        codes=list(sar_redact.exemptions(settings.sar.exemptions_file).values()),
        pdf_url=_rendition_url(session, sar_id, document_id, found["view_id"]),
        boxes=[_box_json(r) for r in rows if r["box"] and r["status"] == "accepted"],
        done=flashes.take(login),
        problem=problems.take(login),
    )


@router.get("/ig/sar/{sar_id}/documents/{document_id}/rendition")
def review_rendition(
    sar_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    login: WebLoginDep,
    view: Annotated[int | None, Query(ge=1, lt=2**63)] = None,
) -> Response:
    """A document's pages for the area picker, reached through the request: a document of the
    request may be on no one's record (a candidate found by the subject's NHS number), which
    /documents/{id}/rendition refuses. The same role and grant checks as the review page."""
    ig_actor(session, login, "redaction review")
    sar_review.check_granted(session, login.caller, sar_id, document_id)
    document, rendition = sar_review.rendition_for_review(
        session, login.caller, sar_id, document_id, view
    )
    return rendition_response(session, store, document, rendition)


@router.post("/ig/sar/{sar_id}/documents/{document_id}/redactions/{redaction_id}")
def decide_redaction(
    sar_id: IdPath,
    document_id: IdPath,
    redaction_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Csrf,
    decision: Short = "",
    code: Short = "",
    reason: Long = "",
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "deciding a redaction")
    sar_grants.check_redaction(session, login.caller, sar_id, redaction_id)
    try:
        row = sar_redact.decide(
            session, sar_id, redaction_id, actor=actor, decision=decision, code=code,
            reason=reason, codes=sar_redact.exemptions(settings.sar.exemptions_file),
        )  # fmt: skip
        signoff = sar_redact.needs_signoff(row, sar_redact.exemptions(settings.sar.exemptions_file))
        then = " It waits for a second officer's sign-off." if signoff else ""
        flashes.put(login, f"“{row.term or 'box'}” {row.status}.{then}")
    except REFUSED as exc:
        session.rollback()
        problems.put(login, f"Redaction {redaction_id} not decided: {exc}")
    return _to_document(sar_id, document_id, "suggestions")


@router.post("/ig/sar/{sar_id}/documents/{document_id}/redactions/{redaction_id}/move")
def move_redaction(
    sar_id: IdPath,
    document_id: IdPath,
    redaction_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    csrf: Csrf,
    term: Term = "",
    reason: Long = "",
) -> Response:
    """Change the words a redaction covers (a name spelt fuller, a span widened); a second
    sign-off given before is given again."""
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "changing a redaction")
    sar_grants.check_redaction(session, login.caller, sar_id, redaction_id)
    try:
        row = sar_redact.move(session, sar_id, redaction_id, actor=actor, reason=reason, term=term)
        flashes.put(login, f"The redaction now covers “{row.term}”.")
    except REFUSED as exc:
        session.rollback()
        problems.put(login, f"Redaction {redaction_id} not changed: {exc}")
    return _to_document(sar_id, document_id, "redactions")


@router.post("/ig/sar/{sar_id}/documents/{document_id}/redactions")
def add_redaction(
    sar_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Csrf,
    term: Term = "",
    scope: Short = "document",
    code: Short = "",
    reason: Long = "",
) -> Response:
    """Redact every occurrence of a term, in this document or every document of the request."""
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "adding a redaction")
    if scope != "all":
        sar_review.check_granted(session, login.caller, sar_id, document_id)
    try:
        if not term.strip():
            raise InvalidInput("type the words to redact")
        made = sar_redact.add(
            session, sar_id, actor=actor, code=code, reason=reason, term=term,
            document_id=None if scope == "all" else document_id,
            codes=sar_redact.exemptions(settings.sar.exemptions_file),
        )  # fmt: skip
        where = "this document" if scope != "all" else f"{len(made)} documents"
        flashes.put(login, f"“{made[0].term}” redacted wherever it occurs in {where}.")
    except REFUSED as exc:
        session.rollback()
        problems.put(login, f"Not redacted: {exc}")
    return _to_document(sar_id, document_id, "redactions")


@router.post("/ig/sar/{sar_id}/documents/{document_id}/boxes")
def add_box(
    sar_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Csrf,
    page: Annotated[int, Form(ge=1, le=100_000)],
    x: Annotated[float, Form(ge=0, le=100_000)],
    y: Annotated[float, Form(ge=0, le=100_000)],
    w: Annotated[float, Form(gt=0, le=100_000)],
    h: Annotated[float, Form(gt=0, le=100_000)],
    code: Short = "",
    reason: Long = "",
) -> Response:
    """Redact an area of one page (points from its top left), burned in like a term."""
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "adding a redaction")
    sar_review.check_granted(session, login.caller, sar_id, document_id)
    try:
        sar_redact.add(
            session, sar_id, actor=actor, code=code, reason=reason, document_id=document_id,
            box=sar_redact.PageBox(page, x, y, w, h),
            codes=sar_redact.exemptions(settings.sar.exemptions_file),
        )  # fmt: skip
        flashes.put(login, f"An area of page {page} redacted.")
    except REFUSED as exc:
        session.rollback()
        problems.put(login, f"Not redacted: {exc}")
    return _to_document(sar_id, document_id, "redactions")


@router.post("/ig/sar/{sar_id}/documents/{document_id}/decision")
def decide_document(
    sar_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    csrf: Csrf,
    decision: Short = "",
    reason: Long = "",
) -> Response:
    """Keep this document out of the bundle (or put it back), with a reason."""
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "deciding a collated document")
    try:
        item = sar_review.decide_item(
            session, sar_id, document_id, actor=actor, decision=decision, reason=reason
        )
        flashes.put(login, f"Document {document_id} {item.status}.")
    except REFUSED as exc:
        session.rollback()
        problems.put(login, f"Document {document_id} not decided: {exc}")
    return _to_document(sar_id, document_id)


@router.post("/ig/sar/{sar_id}/suggest")
def suggest(
    sar_id: IdPath, session: SessionDep, settings: SettingsDep, login: WebLoginDep, csrf: Csrf
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "suggesting redactions")
    options = settings.sar

    def run() -> str:
        done = sar_suggest.run(
            session, sar_id, actor=actor, code=options.suggest_code,
            council_domains=options.council_domains, staff_names=options.staff_names,
            role_words=options.role_words, exemptions_file=options.exemptions_file,
        )  # fmt: skip
        return (
            f"{done['suggested']} redactions suggested in {done['documents']} documents: "
            "review each document below."
        )

    return act(session, login, sar_id, "redactions", "No suggestions made", run)


@router.post("/ig/sar/{sar_id}/bundle")
def build_bundle(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    login: WebLoginDep,
    csrf: Csrf,
) -> Response:
    """Start the build (render, burn, gate, release) in the background: the request page says
    it runs, then whether the gate released it or refused it with its findings. Refused at once
    while anything blocks it."""
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "building a SAR bundle")
    sar.get_request(session, sar_id)
    sar_grants.check_build(session, login.caller, sar_id)
    blocked = sar_redact.blockers(
        session, sar_id, sar_redact.exemptions(settings.sar.exemptions_file)
    )
    if blocked:
        problems.put(login, "The bundle was not built: " + "; ".join(blocked))
    elif not jobs.start(sar_id, actor=actor, settings=settings, store=store):
        problems.put(login, "A bundle of this request is being built already.")
    return back_to(sar_id, "bundle")


@router.get("/ig/sar/{sar_id}/releases/{release_id}/{name}")
def download(
    sar_id: IdPath,
    release_id: IdPath,
    name: str,
    session: SessionDep,
    store: StoreDep,
    login: WebLoginDep,
) -> Response:
    """bundle.pdf or bundle.zip of a release (audited, as the API's download)."""
    ig_actor(session, login, "a SAR release")
    return stream_release_file(session, store, sar_id, release_id, name[:20], login.caller)


@router.get("/ig/sar/{sar_id}/bundle/status")
def bundle_status(sar_id: IdPath, session: SessionDep, login: WebLoginDep) -> Response:
    """Whether a build of this request is running (for the request page's script)."""
    ig_actor(session, login, "a SAR bundle's build")
    job = jobs.get(sar_id)
    return JSONResponse({"running": bool(job and job.running)})
