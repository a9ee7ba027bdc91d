"""Subject access request routes: the same functions `escr sar` calls.

IG officers and administrators only (a refusal is audited, ActorDep); every read and change is
audited with the person concerned. The day a due date is measured from is the server's: no
body sets it, and bodies refuse unknown fields. Closing a request releases its hold, so it
needs a named person (ReviewerDep), as releasing any hold does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ActorDep, CallerDep, ReviewerDep, SessionDep, SettingsDep, StoreDep
from api.params import BoundedDate, IdPath, Page, paging
from api.routes import sar_review
from api.schemas import errors
from api.schemas.sar import Closed, Collation, DueLists, SarList, SarRequestOut
from records import sar, sar_collate, sar_grants
from records.sar import TEXT_MAX
from retention.periods import server_today
from retention.sar_hold import SarHolds

router = APIRouter(tags=["subject access"])
# The review routes (api/routes/sar_review.py) first: /sar/exemptions must come before /sar/{id}.
router.include_router(sar_review.router)

GOVERNANCE = errors(401, 403, e403="needs an IG officer or administrator (the refusal is audited)")
ONE = {**GOVERNANCE, **errors(404, 422, e404="no such request")}
CHANGE = {**ONE, **errors(409, e409="the request's status does not allow it")}
Text = Annotated[str, Field(max_length=TEXT_MAX)]
Short = Annotated[str, Field(max_length=300)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenBody(Strict):
    person_id: Annotated[str, Field(min_length=1, max_length=100)]
    received: BoundedDate = Field(description="the day the request was received")
    requester_name: Short = ""
    relationship: str = Field(default="subject", description="subject, parent, solicitor, other")
    channel: str = Field(default="other", description="email, letter, web, phone, in_person, other")
    identity_evidence: Text = ""
    authority_evidence: Text = ""
    notes: Text = ""


class PauseBody(Strict):
    reason_type: str = Field(description="identity, clarification, authority or other")
    reason: Text


class ReasonBody(Strict):
    reason: Text


class NoOptions(Strict):
    """Empty (`{}`) or absent."""


@router.post("/sar", response_model=SarRequestOut, responses={**GOVERNANCE, **errors(404, 422)})
def open_request(
    body: OpenBody, session: SessionDep, settings: SettingsDep, store: StoreDep, actor: ActorDep
) -> dict[str, Any]:
    """Register a request: its due date (one calendar month to the next working day) and its
    legal hold."""
    request = sar.open_request(
        session,
        person_id=body.person_id,
        received=body.received,
        actor=actor,
        today=server_today(),
        holds=SarHolds(store),
        requester_name=body.requester_name,
        relationship=body.relationship,
        channel=body.channel,
        identity_evidence=body.identity_evidence,
        authority_evidence=body.authority_evidence,
        notes=body.notes,
        closures=settings.sar.closure_days,
    )
    return sar.request_json(session, request, server_today())


@router.get("/sar", response_model=SarList, responses={**GOVERNANCE, **errors(422)})
def list_requests(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[Page, Depends(paging(50, 200))],
    status: Annotated[
        str, Query(max_length=20, description="only this status (open, paused, extended, ...)")
    ] = "",
    person_id: Annotated[str, Query(max_length=100, description="only this person's")] = "",
) -> dict[str, Any]:
    """Requests, the soonest due first."""
    total, found = sar.list_requests(
        session,
        actor=actor,
        status=status,
        person_id=person_id,
        offset=page.offset,
        limit=page.limit,
    )
    today = server_today()
    return {"total": total, "requests": [sar.request_json(session, r, today) for r in found]}


@router.get("/sar/due", response_model=DueLists, responses=GOVERNANCE)
def due(session: SessionDep, settings: SettingsDep, actor: ActorDep) -> dict[str, Any]:
    """Overdue and due-soon requests (within ESCR_SAR__DUE_SOON_DAYS), and the paused ones."""
    today = server_today()
    lists = sar.due_lists(session, actor=actor, today=today, within_days=settings.sar.due_soon_days)
    return {
        "today": today.isoformat(),
        **{
            name: [sar.request_json(session, r, today) for r in lists[name]]
            for name in ("overdue", "due_soon", "paused")
        },
    }


@router.get("/sar/{sar_id}", response_model=SarRequestOut, responses=ONE)
def show(sar_id: IdPath, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A request and its clock."""
    return sar.show(session, sar_id, actor=actor, today=server_today())


@router.post("/sar/{sar_id}/pause", response_model=SarRequestOut, responses=CHANGE)
def pause(sar_id: IdPath, body: PauseBody, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Stop the clock from today, waiting for identity, authority or clarification."""
    request = sar.pause(
        session,
        sar_id,
        reason_type=body.reason_type,
        reason=body.reason,
        actor=actor,
        today=server_today(),
    )
    return sar.request_json(session, request, server_today())


@router.post("/sar/{sar_id}/resume", response_model=SarRequestOut, responses=CHANGE)
def resume(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Start the clock again: the due date moves by the days it was stopped."""
    request = sar.resume(
        session, sar_id, actor=actor, today=server_today(), closures=settings.sar.closure_days
    )
    return sar.request_json(session, request, server_today())


@router.post("/sar/{sar_id}/extend", response_model=SarRequestOut, responses=CHANGE)
def extend(
    sar_id: IdPath, body: ReasonBody, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> dict[str, Any]:
    """Extend by two further months: only within the first month (422 after it)."""
    request = sar.extend(
        session,
        sar_id,
        reason=body.reason,
        actor=actor,
        today=server_today(),
        closures=settings.sar.closure_days,
    )
    return sar.request_json(session, request, server_today())


@router.post("/sar/{sar_id}/close", response_model=Closed, responses=CHANGE)
def close(
    sar_id: IdPath, body: ReasonBody, session: SessionDep, store: StoreDep, actor: ReviewerDep
) -> dict[str, Any]:
    """Close a request: its hold is released, and what it kept is listed for re-appraisal."""
    request, review = sar.close(
        session, sar_id, actor=actor, reason=body.reason, holds=SarHolds(store)
    )
    return {**sar.request_json(session, request, server_today()), "reappraise": review}


@router.post("/sar/{sar_id}/collate", response_model=Collation, responses=ONE)
def collate(
    sar_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    actor: ActorDep,
    caller: CallerDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Collect everything on the person through every identifier, with how each was linked
    (a restricted document's title only with its grant)."""
    counts = sar_collate.collate(session, sar_id, actor=actor, holds=SarHolds(store))
    found = sar_collate.items_json(session, sar_id)
    sar_grants.hide_ungranted(session, caller, found)
    return {**counts, "items": found}


@router.get("/sar/{sar_id}/items", response_model=Collation, responses=ONE)
def items(
    sar_id: IdPath, session: SessionDep, actor: ActorDep, caller: CallerDep
) -> dict[str, Any]:
    """The items of the last collation (collating again is POST .../collate); a restricted
    document's title only with its grant."""
    request = sar.get_request(session, sar_id)
    found = sar_collate.items_json(session, sar_id)
    sar_grants.hide_ungranted(session, caller, found)
    sar.audit_read(session, request, actor, "sar_items", shown=len(found))
    by_link: dict[str, int] = {}
    for item in found:
        by_link[item["how_linked"]] = by_link.get(item["how_linked"], 0) + 1
    statuses = [i["status"] for i in found]
    return {
        "sar_id": sar_id,
        "person_id": request.person_id,
        "documents": len(found),
        "included": statuses.count("included"),
        "duplicates": sum(1 for i in found if i["duplicate_of"]),
        "candidates": statuses.count("candidate"),
        "near_duplicate_groups": len({i["near_duplicate_group"] for i in found} - {None}),
        "threads": len({i["thread_key"] for i in found} - {None}),
        "by_link": by_link,
        "items": found,
    }
