"""The migration team's routes: batches, reconciliation, the exception queue and its decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from api.deps import CallerDep, IndexDep, SessionDep
from api.params import IdPath, Page, paging
from api.schemas import errors
from api.schemas.migration import (
    BatchProgress,
    BulkLinked,
    ExceptionClosed,
    ExceptionEntry,
    Linked,
    Reconciliation,
    TypeConfirmed,
    Undone,
)
from records import consoles, decisions, filters

# Every route needs a migration or IG role; a refusal is audited.
router = APIRouter(
    tags=["migration"],
    responses=errors(401, 403, e403="the caller's role may not use the migration console"),
)


@router.get("/batches", response_model=list[BatchProgress], responses=errors(422))
def batches(
    session: SessionDep, caller: CallerDep, page: Annotated[Page, Depends(paging(100, 500))]
) -> list[dict[str, Any]]:
    """Load batches, newest first, with their progress."""
    return consoles.batches(session, caller=caller, limit=page.limit, offset=page.offset)


@router.get(
    "/batches/{batch}/reconciliation",
    response_model=Reconciliation,
    responses=errors(404, e404="no such batch"),
)
def batch_reconciliation(
    batch: Annotated[str, Path(description="the batch's name, as `escr load` gave it")],
    session: SessionDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """A batch's reconciliation: every manifest row and attachment accounted for."""
    return consoles.reconciliation(session, batch, caller=caller)


@router.get(
    "/exceptions",
    response_model=list[ExceptionEntry],
    responses=errors(404, 422, e404="no such batch"),
)
def exceptions(
    session: SessionDep,
    caller: CallerDep,
    page: Annotated[Page, Depends(paging(100, 500))],
    kind: Annotated[
        str | None,
        Query(
            description="only this kind: no_legacy_id, unknown_legacy_id, ambiguous_legacy_id, "
            "nhs_conflict or unreadable (another is a 422)"
        ),
    ] = None,
    batch: Annotated[
        str | None,
        Query(description="only the documents this batch last stored (an unknown batch is a 404)"),
    ] = None,
    source: Annotated[
        str | None, Query(max_length=100, description="only documents of this source system")
    ] = None,
    type: Annotated[
        str | None, Query(description="only documents of this type (a taxonomy code)")
    ] = None,
    sort: Annotated[
        str,
        Query(description="oldest (the default) or confidence: the strongest candidate first"),
    ] = "oldest",
) -> list[dict[str, Any]]:
    """Open exceptions: unlinked, ambiguous and conflicting documents."""
    return consoles.exception_queue(
        session,
        caller=caller,
        kind=filters.exception_kind(kind),
        batch=batch,
        source_system=source or None,
        doc_type=filters.doc_type(type),
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )


class LinkBody(BaseModel):
    person_id: str = Field(description="the person whose record the document goes on")
    note: str = Field(default="", description="why, kept with the link")


class UndoBody(BaseModel):
    reason: str = Field(max_length=1000, description="why the decision is taken back")


class NotNeededBody(BaseModel):
    note: str = Field(description="why the document is not needed")


class TypeBody(BaseModel):
    doc_type: str = Field(description="a document type the classifier knows")


# An exception that is already closed is a 409; one that never was, a 404.
_EXCEPTION_ANSWERS = errors(404, 409, 422, e404="no such exception")


@router.post(
    "/exceptions/{exception_id}/link",
    summary="Link to a person",
    response_model=Linked,
    responses=_EXCEPTION_ANSWERS,
)
def link(
    exception_id: IdPath, body: LinkBody, session: SessionDep, index: IndexDep, caller: CallerDep
) -> dict[str, object]:
    """Put the exception's document (and its attachments) on a person's record, closing its
    exceptions; an unknown person is a 422."""
    return decisions.link_to_person(
        session,
        index,
        caller=caller,
        exception_id=exception_id,
        person_id=body.person_id,
        note=body.note,
    )


@router.post(
    "/exceptions/{exception_id}/link-legacy-id",
    summary="Link every document of its legacy ID",
    response_model=BulkLinked,
    responses=_EXCEPTION_ANSWERS,
)
def link_legacy_id(
    exception_id: IdPath, body: LinkBody, session: SessionDep, index: IndexDep, caller: CallerDep
) -> dict[str, object]:
    """Put every open document naming the same one legacy person ID (and source system) as
    this exception's on the person, and remember it so later rounds do the same."""
    return decisions.link_legacy_id(
        session,
        index,
        caller=caller,
        exception_id=exception_id,
        person_id=body.person_id,
        note=body.note,
    )


@router.post(
    "/exceptions/{exception_id}/undo",
    summary="Undo a decision",
    response_model=Undone,
    responses=_EXCEPTION_ANSWERS,
)
def undo(
    exception_id: IdPath, body: UndoBody, session: SessionDep, index: IndexDep, caller: CallerDep
) -> dict[str, object]:
    """Take back a decided exception: the link it made is removed and the exception opens
    again (a 409 for one that is open, or was closed by a load)."""
    return decisions.undo(
        session, index, caller=caller, exception_id=exception_id, reason=body.reason
    )


@router.post(
    "/exceptions/{exception_id}/not-needed",
    response_model=ExceptionClosed,
    responses=_EXCEPTION_ANSWERS,
)
def not_needed(
    exception_id: IdPath,
    body: NotNeededBody,
    session: SessionDep,
    index: IndexDep,
    caller: CallerDep,
) -> dict[str, object]:
    """Close an exception: the document is not needed on anyone's record (a note says why)."""
    return decisions.mark_not_needed(
        session, index, caller=caller, exception_id=exception_id, note=body.note
    )


@router.post(
    "/documents/{document_id}/type",
    response_model=TypeConfirmed,
    responses=errors(404, 422, e404="no such document"),
)
def confirm_type(
    document_id: IdPath, body: TypeBody, session: SessionDep, index: IndexDep, caller: CallerDep
) -> dict[str, object]:
    """Confirm (or correct) a document's type: later loads keep it, and retention may act on it."""
    return decisions.confirm_type(
        session, index, caller=caller, document_id=document_id, doc_type=body.doc_type
    )
