"""Subject access requests on the web: the requests list (overdue, due soon, paused, later,
closed), registering a request (the person picked with the person finder, no script needed),
and a request's page: its clock (pause, resume, extend, close, each with a reason), collation
(how each document was linked, duplicates, near-duplicate groups, email threads, candidates a
person includes or excludes), the redactions waiting for a second sign-off, and the bundle.

The same records functions as /api/sar and `escr sar`, so everything is audited alike. Forms post
with the session's CSRF token; a refused form comes back saying why (decision 0035's pattern).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.auth import WebLogin
from api.deps import SessionDep, SettingsDep, StoreDep, WebLoginDep
from api.params import IdPath, parse_date
from api.web.ig import ig_page, problems
from api.web.render import check_csrf, flashes
from api.web.sar_jobs import jobs
from catalog.models import Person
from catalog.models_sar import CHANNELS, PAUSE_REASONS, REQUESTER_RELATIONSHIPS
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from records import finder, sar, sar_collate, sar_grants, sar_redact, sar_review
from records.access import Caller, require_role
from records.consoles import AUDIT_ROLES
from records.finder_query import MAX_QUERY
from retention.periods import server_today
from retention.sar_hold import SarHolds

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=300)]
Long = Annotated[str, Form(max_length=sar.TEXT_MAX)]
Csrf = Annotated[str, Form()]
REFUSED = (InvalidInput, Conflict, NotFound)
CHANNEL_LABELS = {"in_person": "in person"}
RELATIONSHIP_LABELS = {
    "subject": "the person themselves",
    "parent": "a parent (for a child)",
    "solicitor": "a solicitor",
    "other": "another representative",
}


def ig_actor(session: Session, login: WebLogin, what: str) -> str:
    require_role(session, login.caller, AUDIT_ROLES, what)
    return login.caller.user_id


def back_to(sar_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/ig/sar/{sar_id}{'#' + anchor if anchor else ''}", status_code=303)


@router.get("/ig/sar")
def requests_list(
    request: Request, session: SessionDep, settings: SettingsDep, login: WebLoginDep
) -> Response:
    actor = ig_actor(session, login, "subject access requests")
    within = settings.sar.due_soon_days
    lists = sar_review.workbench_lists(
        session, actor=actor, today=server_today(), within_days=within
    )
    return ig_page(
        request,
        "sar_list.html",
        login,
        lists=lists,
        within=within,
        today=server_today(),
        done=flashes.take(login),
    )


def _new_page(
    request: Request,
    session: Session,
    login: WebLogin,
    form: dict[str, Any],
    *,
    find: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    hits: dict[str, Any] = {"total": 0, "hits": []}
    if find.strip():
        hits = finder.find_people(session, caller=login.caller, text=find.strip(), limit=10)
    chosen = session.get(Person, form["person_id"]) if form.get("person_id") else None
    return ig_page(
        request,
        "sar_new.html",
        login,
        status_code=status_code,
        form=form,
        find=find,
        hits=hits,
        chosen=chosen,
        channels=[(c, CHANNEL_LABELS.get(c, c)) for c in CHANNELS],
        relationships=[(r, RELATIONSHIP_LABELS[r]) for r in REQUESTER_RELATIONSHIPS],
        error=error,
    )


@router.get("/ig/sar/new")
def new_request(
    request: Request,
    session: SessionDep,
    login: WebLoginDep,
    find: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    person: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Register a request: find the person first (the finder's words), then the details."""
    ig_actor(session, login, "registering a subject access request")
    blank = {
        "person_id": person.strip(),
        "received": server_today().isoformat(),
        "channel": "email",
        "relationship": "subject",
    }
    return _new_page(request, session, login, blank, find=find)


@router.post("/ig/sar/new")
def register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    login: WebLoginDep,
    csrf: Csrf,
    person_id: Annotated[str, Form(max_length=100)] = "",
    received: Short = "",
    channel: Short = "",
    relationship: Short = "",
    requester_name: Short = "",
    identity_evidence: Long = "",
    authority_evidence: Long = "",
    notes: Long = "",
    find: Annotated[str, Form(max_length=MAX_QUERY)] = "",
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "registering a subject access request")
    form = {
        "person_id": person_id.strip(),
        "received": received,
        "channel": channel,
        "relationship": relationship,
        "requester_name": requester_name,
        "identity_evidence": identity_evidence,
        "authority_evidence": authority_evidence,
        "notes": notes,
    }
    try:
        if not form["person_id"]:
            raise InvalidInput("choose the person the request is about (find them first)")
        day = parse_date(received, "Received")
        if day is None:
            raise InvalidInput("the date the request was received is needed")
        made = sar.open_request(
            session,
            person_id=form["person_id"],
            received=day,
            actor=actor,
            today=server_today(),
            holds=SarHolds(store),
            requester_name=requester_name,
            relationship=relationship,
            channel=channel,
            identity_evidence=identity_evidence,
            authority_evidence=authority_evidence,
            notes=notes,
            closures=settings.sar.closure_days,
        )
    except REFUSED as exc:
        session.rollback()
        return _new_page(request, session, login, form, find=find, error=str(exc), status_code=422)
    flashes.put(login, f"Request {made.id} registered: due {made.due:%-d %B %Y}.")
    return back_to(made.id)


def _items_view(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The collated items as the page shows them: by status, near-duplicate groups and
    email threads (each in date order, as collation ordered them)."""
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    threads: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item["near_duplicate_group"] is not None:
            groups[item["near_duplicate_group"]].append(item)
        if item["thread_key"]:
            threads[item["thread_key"]].append(item)
    return {
        "included": [i for i in items if i["status"] == "included"],
        "candidates": [i for i in items if i["status"] == "candidate"],
        "excluded": [i for i in items if i["status"] == "excluded"],
        "groups": {g: rows for g, rows in groups.items() if len(rows) > 1},
        "threads": {t: rows for t, rows in threads.items() if len(rows) > 1},
    }


def _signoff_view(
    session: Session, sar_id: int, caller: Caller, codes: dict[str, sar_redact.Exemption]
) -> tuple[list[dict[str, Any]], dict[int, dict[str, int]]]:
    """Redactions waiting for a second sign-off, each saying whether this officer may give it
    (the rule records/sar_redact.approve enforces), and per-document redaction counts; a
    restricted document's only with its grant."""
    actor = caller.user_id
    waiting = []
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in sar_grants.visible_redactions(session, caller, sar_redact._rows(session, sar_id)):
        counts[row.document_id][row.status] += 1
        if sar_redact.needs_signoff(row, codes) and not row.approved_by:
            counts[row.document_id]["awaiting"] += 1
            shown = sar_redact.redaction_json(row)
            mine = actor in (row.made_by, row.decided_by)
            shown["why_not"] = "you made or accepted it" if mine else ""
            waiting.append(shown)
    return waiting, {d: dict(c) for d, c in counts.items()}


@router.get("/ig/sar/{sar_id}")
def request_page(
    request: Request,
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
) -> Response:
    actor = ig_actor(session, login, "a subject access request")
    today = server_today()
    shown = sar.show(session, sar_id, actor=actor, today=today)
    row = sar.get_request(session, sar_id)
    items = sar_collate.items_json(session, sar_id)
    codes = sar_redact.exemptions(settings.sar.exemptions_file)
    waiting, counts = _signoff_view(session, sar_id, login.caller, codes)
    previous = sar_review.last_release(session, sar_id)
    deadline = sar_review.extension_deadline(session, row, today, settings.sar.closure_days)
    # A restricted class's title only with its grant, as holds show them (and the API).
    hidden = sar_grants.hide_ungranted(session, login.caller, items)
    titles = {i["document_id"]: i["title"] for i in items}
    return ig_page(
        request,
        "sar.html",
        login,
        r=shown,
        person_name=sar_review.person_names(session, {row.person_id}).get(row.person_id, ""),
        running=row.status in ("open", "paused", "extended"),
        today=today,
        deadline=deadline,
        items=_items_view(items),
        titles=titles,
        hidden=hidden,
        counts=counts,
        waiting=waiting,
        blockers=sar_redact.blockers(session, sar_id, codes) if items else [],
        releases=sar_review.releases_of(session, sar_id),
        previous=previous,
        started_from=row.previous_release_id,
        job=jobs.get(sar_id),
        pause_reasons=PAUSE_REASONS,
        channel_label=CHANNEL_LABELS.get(shown["channel"], shown["channel"]),
        relationship_label=RELATIONSHIP_LABELS.get(shown["requester"]["relationship"], ""),
        done=flashes.take(login),
        problem=problems.take(login),
    )


def act(
    session: Session, login: WebLogin, sar_id: int, anchor: str, what: str, action: Any
) -> Response:
    """Run a change; its message (or why it was refused, nothing of it kept) on the request's
    page."""
    try:
        message = action()
        flashes.put(login, message)
    except REFUSED as exc:
        session.rollback()
        problems.put(login, f"{what}: {exc}")
    return back_to(sar_id, anchor)


@router.post("/ig/sar/{sar_id}/pause")
def pause(
    sar_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    csrf: Csrf,
    reason_type: Short = "",
    reason: Long = "",
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "pausing a subject access request")

    def run() -> str:
        sar.pause(
            session, sar_id, reason_type=reason_type, reason=reason, actor=actor,
            today=server_today(),
        )  # fmt: skip
        return "The clock is paused: the request is in neither the overdue nor the due-soon list."

    return act(session, login, sar_id, "clock", "Not paused", run)


@router.post("/ig/sar/{sar_id}/resume")
def resume(
    sar_id: IdPath, session: SessionDep, settings: SettingsDep, login: WebLoginDep, csrf: Csrf
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "resuming a subject access request")

    def run() -> str:
        row = sar.resume(
            session, sar_id, actor=actor, today=server_today(),
            closures=settings.sar.closure_days,
        )  # fmt: skip
        return f"The clock runs again: due {row.due:%-d %B %Y}."

    return act(session, login, sar_id, "clock", "Not resumed", run)


@router.post("/ig/sar/{sar_id}/extend")
def extend(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Csrf,
    reason: Long = "",
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "extending a subject access request")

    def run() -> str:
        row = sar.extend(
            session, sar_id, reason=reason, actor=actor, today=server_today(),
            closures=settings.sar.closure_days,
        )  # fmt: skip
        return f"Extended by two months: due {row.due:%-d %B %Y}. Tell the requester why."

    return act(session, login, sar_id, "clock", "Extension refused", run)


@router.post("/ig/sar/{sar_id}/close")
def close(
    sar_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    login: WebLoginDep,
    csrf: Csrf,
    reason: Long = "",
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "closing a subject access request")

    def run() -> str:
        # A request whose bundle went out closes as `released`, one that never did as `closed`.
        status = "released" if sar_review.releases_of(session, sar_id) else "closed"
        _row, review = sar.close(
            session, sar_id, actor=actor, reason=reason, holds=SarHolds(store), status=status
        )
        return (
            f"Request {sar_id} {status}; its hold is released ({len(review)} documents to "
            "re-appraise). Nothing was destroyed."
        )

    return act(session, login, sar_id, "clock", "Not closed", run)


@router.post("/ig/sar/{sar_id}/collate")
def collate(
    sar_id: IdPath, session: SessionDep, store: StoreDep, login: WebLoginDep, csrf: Csrf
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "collating a subject access request")

    def run() -> str:
        counts = sar_collate.collate(session, sar_id, actor=actor, holds=SarHolds(store))
        return (
            f"Collated: {counts['included']} documents included, {counts['candidates']} "
            f"candidates to review, {counts['duplicates']} exact copies shown once."
        )

    return act(session, login, sar_id, "collation", "Not collated", run)


@router.post("/ig/sar/{sar_id}/items/{document_id}")
def decide_item(
    sar_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    csrf: Csrf,
    decision: Short = "",
    reason: Long = "",
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "deciding a collated document")

    def run() -> str:
        item = sar_review.decide_item(
            session, sar_id, document_id, actor=actor, decision=decision, reason=reason
        )
        return f"Document {document_id} {item.status}."

    return act(session, login, sar_id, "collation", f"Document {document_id} not decided", run)


@router.post("/ig/sar/{sar_id}/start-from-last-release")
def start_from_last_release(
    sar_id: IdPath, session: SessionDep, login: WebLoginDep, csrf: Csrf
) -> Response:
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "starting from the last release")

    def run() -> str:
        done = sar_review.start_from_last_release(session, sar_id, actor=actor)
        return (
            f"Started from release {done['release_id']}: {done['redactions_copied']} redaction "
            f"decisions and {done['items_decided']} document decisions reused; "
            f"{len(done['new_documents'])} documents are new since then."
        )

    return act(session, login, sar_id, "redactions", "Not started from the last release", run)


@router.post("/ig/sar/{sar_id}/approve")
def approve(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Csrf,
    redactions: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """The second sign-off of the ticked redactions; the proposer's try is refused (audited
    and committed by records) and shown."""
    check_csrf(login, csrf)
    actor = ig_actor(session, login, "signing off redactions")
    if not redactions:
        problems.put(login, "Not signed off: tick the redactions you approve.")
        return back_to(sar_id, "signoff")
    codes = sar_redact.exemptions(settings.sar.exemptions_file)
    sar_grants.check_signoff(session, login.caller, sar_id, redactions[:10_000], codes)
    try:
        done = sar_redact.approve(
            session, sar_id, actor=actor, redaction_ids=redactions[:10_000],
            codes=sar_redact.exemptions(settings.sar.exemptions_file),
        )  # fmt: skip
        flashes.put(login, f"{done['approved']} redactions signed off by {actor}.")
    except PermissionDenied as exc:
        problems.put(login, f"Sign-off refused (separation of duties): {exc}")
    except REFUSED as exc:
        problems.put(login, f"Not signed off: {exc}")
    return back_to(sar_id, "signoff")
