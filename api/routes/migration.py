"""The migration team's routes: batches, reconciliation, the exception queue and its decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import CallerDep, IndexDep, SessionDep
from api.params import IdPath, Page, paging
from records import consoles, decisions

router = APIRouter()


@router.get("/batches")
def batches(
    session: SessionDep, caller: CallerDep, page: Annotated[Page, Depends(paging(100, 500))]
) -> list[dict[str, Any]]:
    """Load batches, newest first, with their progress."""
    return consoles.batches(session, caller=caller, limit=page.limit, offset=page.offset)


@router.get("/batches/{batch}/reconciliation")
def batch_reconciliation(batch: str, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    return consoles.reconciliation(session, batch, caller=caller)


@router.get("/exceptions")
def exceptions(
    session: SessionDep,
    caller: CallerDep,
    page: Annotated[Page, Depends(paging(100, 500))],
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Open exceptions: unlinked, ambiguous and conflicting documents."""
    return consoles.exception_queue(
        session, caller=caller, kind=kind, limit=page.limit, offset=page.offset
    )


class LinkBody(BaseModel):
    person_id: str
    note: str = ""


class NotNeededBody(BaseModel):
    note: str


class TypeBody(BaseModel):
    doc_type: str


@router.post("/exceptions/{exception_id}/link")
def link(
    exception_id: IdPath, body: LinkBody, session: SessionDep, index: IndexDep, caller: CallerDep
) -> dict[str, object]:
    return decisions.link_to_person(
        session,
        index,
        caller=caller,
        exception_id=exception_id,
        person_id=body.person_id,
        note=body.note,
    )


@router.post("/exceptions/{exception_id}/not-needed")
def not_needed(
    exception_id: IdPath,
    body: NotNeededBody,
    session: SessionDep,
    index: IndexDep,
    caller: CallerDep,
) -> dict[str, object]:
    return decisions.mark_not_needed(
        session, index, caller=caller, exception_id=exception_id, note=body.note
    )


@router.post("/documents/{document_id}/type")
def confirm_type(
    document_id: IdPath, body: TypeBody, session: SessionDep, index: IndexDep, caller: CallerDep
) -> dict[str, object]:
    return decisions.confirm_type(
        session, index, caller=caller, document_id=document_id, doc_type=body.doc_type
    )
