"""The migration team's routes: reconciliation and the exception queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ActorDep, SessionDep
from catalog import audit
from catalog.reconcile import reconcile
from records import reads

router = APIRouter()


@router.get("/batches/{batch}/reconciliation")
def batch_reconciliation(batch: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    summary = reconcile(session, batch)
    audit.record(
        session, actor=actor, action="view_reconciliation", target_type="batch", target_id=batch
    )
    return summary


@router.get("/exceptions")
def exceptions(
    session: SessionDep,
    actor: ActorDep,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Open exceptions: unlinked, ambiguous and conflicting documents."""
    return reads.exception_queue(session, actor=actor, kind=kind, limit=limit, offset=offset)
