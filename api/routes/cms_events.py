"""The case management system's person events and webhook subscriptions (issue 16,
docs/decisions/0038): the same functions the CLI calls.

A service account reaches these with its scope (people:events, webhooks:manage) on behalf of
a named user; a person or the static token needs a migration officer's or administrator's role
for person events, an administrator's for subscriptions (refusals audited).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from api.deps import IndexDep, SessionDep, SettingsDep, StoreDep, require_scope
from api.params import IdPath
from api.person_events import settle
from api.schemas import errors
from api.schemas.cms_events import (
    Delivery,
    IdentifiersBody,
    MergeBody,
    NewSubscription,
    PersonEventDone,
    PersonEventRecord,
    PersonEventUndo,
    Redelivered,
    SplitBody,
    SubscribeBody,
    Subscription,
)
from api.service_auth import ACTOR_PREFIX
from core.errors import NotFound
from records import person_events, webhook_subscriptions
from records.access import Caller, require_role

router = APIRouter(tags=["person events and webhooks"], responses=errors(401, 403, 422))
EventsCaller = Annotated[Caller, Depends(require_scope("people:events"))]
HooksCaller = Annotated[Caller, Depends(require_scope("webhooks:manage"))]
EVENT = errors(404, 409, e409="a person named was merged away, or the event is not undoable")


def _scoped(caller: Caller) -> bool:
    """A service account: its scope let it in (require_scope checked it). Known by how it
    authenticated (only api/service_auth sets both), never by its name."""
    return caller.service and bool(caller.on_behalf_of)


@router.post("/people/merge", response_model=PersonEventDone, responses=EVENT)
def merge(
    body: MergeBody,
    session: SessionDep,
    index: IndexDep,
    store: StoreDep,
    settings: SettingsDep,
    caller: EventsCaller,
) -> dict[str, Any]:
    """Two person records were merged in the CMS: every document of `from` moves to `into`
    (audited, undoable), is re-indexed, and its retention re-evaluated; `from` then points at
    `into`, so its deep links and later links follow."""
    outcome = person_events.merge(
        session,
        caller=caller,
        source=body.from_person,
        target=body.into,
        reason=body.reason,
        scoped=_scoped(caller),
    )
    return settle(session, index, store, settings, outcome)


@router.post("/people/split", response_model=PersonEventDone, responses=EVENT)
def split(
    body: SplitBody,
    session: SessionDep,
    index: IndexDep,
    store: StoreDep,
    settings: SettingsDep,
    caller: EventsCaller,
) -> dict[str, Any]:
    """A person record was split in the CMS: the named documents (and legacy IDs) move from
    `from` to `into`, created from `new_person` where escr lacks them."""
    outcome = person_events.split(
        session,
        caller=caller,
        source=body.from_person,
        target=body.into,
        document_ids=body.document_ids,
        legacy_ids=body.legacy_ids,
        reason=body.reason,
        scoped=_scoped(caller),
        new_person=body.new_person.model_dump(exclude_none=True) if body.new_person else None,
    )
    return settle(session, index, store, settings, outcome)


@router.post("/people/identifiers", response_model=PersonEventDone, responses=EVENT)
def identifiers(
    body: IdentifiersBody,
    session: SessionDep,
    index: IndexDep,
    store: StoreDep,
    settings: SettingsDep,
    caller: EventsCaller,
) -> dict[str, Any]:
    """A person's identifiers changed in the CMS: a new person ID (the record moves to it)
    and/or a new NHS number."""
    outcome = person_events.change_identifiers(
        session,
        caller=caller,
        person_id=body.person_id,
        reason=body.reason,
        scoped=_scoped(caller),
        new_person_id=body.new_person_id.strip(),
        nhs_number=body.nhs_number,
    )
    return settle(session, index, store, settings, outcome)


@router.get("/people/events/{event_id}", response_model=PersonEventRecord, responses=EVENT)
def event(event_id: IdPath, session: SessionDep, caller: EventsCaller) -> dict[str, Any]:
    """A person event: who, why, which documents moved, whether it was undone."""
    person_events.require_events_role(session, caller, scoped=_scoped(caller))
    return person_events.event_json(session, event_id)


@router.post("/people/events/{event_id}/undo", response_model=PersonEventDone, responses=EVENT)
def undo(
    event_id: IdPath,
    body: PersonEventUndo,
    session: SessionDep,
    index: IndexDep,
    store: StoreDep,
    settings: SettingsDep,
    caller: EventsCaller,
) -> dict[str, Any]:
    """Put back what a person event moved (the latest standing event of its people only)."""
    outcome = person_events.undo(
        session, caller=caller, event_id=event_id, reason=body.reason, scoped=_scoped(caller)
    )
    return settle(session, index, store, settings, outcome)


def _account(session: Session, caller: Caller, request: Request, asked: str) -> str | None:
    """The account a webhook call is about: a service account's own; for an administrator the
    one named (None: every account, for listing)."""
    if _scoped(caller):
        return caller.user_id.removeprefix(ACTOR_PREFIX)
    require_role(session, caller, {"administrator"}, f"{request.method} {request.url.path}")
    return asked or None


@router.post("/webhooks/subscriptions", response_model=NewSubscription, status_code=201)
def subscribe(
    body: SubscribeBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: HooksCaller,
) -> dict[str, Any]:
    """Register a URL to be told of document events, signed with the secret (shown once)."""
    account = _account(session, caller, request, body.account) or caller.user_id
    row, secret = webhook_subscriptions.subscribe(
        session,
        caller=caller,
        account=account,
        url=body.url,
        events=body.events,
        secret=body.secret,
        https_only=settings.api.environment == "production",
    )
    return {**webhook_subscriptions.subscription_json(row), "secret": secret}


@router.get("/webhooks/subscriptions", response_model=list[Subscription])
def list_subscriptions(
    request: Request,
    session: SessionDep,
    caller: HooksCaller,
    account: Annotated[
        str, Query(max_length=100, description="an administrator's filter: one account's")
    ] = "",
) -> list[dict[str, Any]]:
    """The caller's subscriptions (an administrator's: every account's, or `account`'s)."""
    rows = webhook_subscriptions.subscriptions(session, _account(session, caller, request, account))
    return [webhook_subscriptions.subscription_json(r) for r in rows]


@router.delete(
    "/webhooks/subscriptions/{subscription_id}", response_model=Subscription, responses=EVENT
)
def unsubscribe(
    subscription_id: IdPath, request: Request, session: SessionDep, caller: HooksCaller
) -> dict[str, Any]:
    """Switch a subscription off; pending deliveries to it are not sent."""
    row = webhook_subscriptions.unsubscribe(
        session,
        caller=caller,
        subscription_id=subscription_id,
        account=_account(session, caller, request, ""),
    )
    return webhook_subscriptions.subscription_json(row)


@router.post(
    "/webhooks/subscriptions/{subscription_id}/redeliver",
    response_model=Redelivered,
    responses=EVENT,
)
def redeliver(
    subscription_id: IdPath, request: Request, session: SessionDep, caller: HooksCaller
) -> dict[str, Any]:
    """Send again the deliveries given up after their last retry (a receiver back from a long
    outage), from their first attempt."""
    count = webhook_subscriptions.redeliver(
        session,
        caller=caller,
        subscription_id=subscription_id,
        account=_account(session, caller, request, ""),
    )
    return {"subscription_id": subscription_id, "redelivering": count}


@router.get(
    "/webhooks/subscriptions/{subscription_id}/deliveries",
    response_model=list[Delivery],
    responses=EVENT,
)
def deliveries(
    subscription_id: IdPath, request: Request, session: SessionDep, caller: HooksCaller
) -> list[dict[str, Any]]:
    """A subscription's latest deliveries: pending, delivered, or given up, and why."""
    account = _account(session, caller, request, "")
    mine = {r.id for r in webhook_subscriptions.subscriptions(session, account)}
    if subscription_id not in mine:
        raise NotFound(f"webhook subscription {subscription_id} not found")
    return webhook_subscriptions.deliveries(session, subscription_id)
