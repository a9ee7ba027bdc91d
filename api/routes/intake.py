"""What a case management system calls to store documents (issue 16, README "The CMS
contract"): an upload for a person, a new version, a metadata correction, and an upload's
status. Each goes through the same pipeline as a migrated document (workers/intake.py)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from datetime import date
from functools import partial
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Path, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.deps import IndexDep, SessionDep, SettingsDep, StoreDep, require_scope
from api.intake_dispatch import dispatch, evaluate_retention
from api.params import BoundedDate, IdPath
from api.schemas import errors
from api.schemas.intake import MetadataCorrected, UploadAccepted, UploadStatus
from api.service_auth import ACTOR_PREFIX
from catalog import audit
from catalog import documents as docs
from catalog import service_accounts as accounts
from catalog.db import after_commit, write_first
from catalog.ledger import UPLOAD_BATCH_PREFIX
from catalog.models import Document, LedgerRow
from catalog.models_service import IdempotencyKey
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.settings import Settings
from core.states import RowState
from records import access, corrections
from records.access import Caller
from workers.intake import (
    Intake,
    UploadMetadata,
    UploadTooLarge,
    check_extension,
    register_upload,
    register_version,
    upload_folder,
)

router = APIRouter(tags=["cms"], responses=errors(400, 401, 403, 422))
WriteCaller = Annotated[Caller, Depends(require_scope("documents:write"))]
StatusCaller = Annotated[Caller, Depends(require_scope("documents:write", "documents:read"))]
IdempotencyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the client's own key for this upload: the same key again answers the "
        "same document and stores nothing (another request under a used key is a 409)",
    ),
]
_CHUNK = 1 << 20
# A file part as OpenAPI 3.0 wrote it beside 3.1's contentMediaType: client generators that
# know only `format: binary` (openapi-python-client) otherwise take the file for a string.
BINARY: dict[str, Any] = {"format": "binary"}


class UploadMetadataBody(BaseModel):
    """The multipart `metadata` part, as JSON."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=1000)
    doc_type: str = Field(
        default="",
        max_length=300,
        description="a taxonomy code (taken as given) or the council's legacy type code "
        "(mapped); empty: classified from the text",
    )
    document_date: BoundedDate | None = None
    source_reference: str = Field(default="", max_length=300, description="the CMS's own ID")
    author: str = Field(default="", max_length=300)
    person_ids: list[str] = Field(
        default_factory=list, max_length=50, description="further people it is about"
    )


class CorrectionBody(BaseModel):
    """Metadata corrections: only the fields given change (each kept as a metadata version)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=1000)
    doc_type: str | None = Field(default=None, description="a taxonomy code")
    document_date: BoundedDate | None = None
    source_reference: str | None = Field(default=None, max_length=300)
    author: str | None = Field(default=None, max_length=300)
    reason: str = Field(default="", max_length=1000, description="why, for the record")


def _metadata(text: str) -> UploadMetadataBody:
    try:
        return UploadMetadataBody.model_validate_json(text or "{}")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'metadata'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"metadata is not valid: {problems}") from exc


def _spool(upload: UploadFile, settings: Settings) -> tuple[FilePath, str, int]:
    """The upload on disk under ESCR_HOME/tmp, its SHA-256 and size; refused past the limit
    (the part read so far removed) or empty."""
    limit = settings.intake.max_mb * 1024 * 1024
    path = settings.tmp_dir / f"upload-{uuid.uuid4().hex}"
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(
                        f"the file is larger than {settings.intake.max_mb} MB, the upload limit"
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("the file is empty")
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def _account(caller: Caller) -> str:
    """The name uploads are filed under: the service account's, or the person's."""
    name = caller.user_id.removeprefix(ACTOR_PREFIX)
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "api"


def _answer(document_id: int, state: str, replayed: bool, response: Response) -> dict[str, Any]:
    status_url = f"/api/documents/{document_id}/status"
    response.headers["Location"] = status_url
    return {"id": document_id, "status_url": status_url, "state": state, "replayed": replayed}


def _replay(
    session: Session, caller: Caller, key: str, request_sha256: str
) -> IdempotencyKey | None:
    """The earlier upload under this key, if the same request; a different one is a 409."""
    seen = session.get(IdempotencyKey, (caller.user_id, key))
    if seen is not None and seen.request_sha256 != request_sha256:
        raise Conflict(
            f"Idempotency-Key {key!r} was used for another request (document {seen.document_id})"
        )
    return seen


def _remember(
    session: Session, caller: Caller, key: str, request_sha256: str, intake: Intake
) -> IdempotencyKey | None:
    """Keep the key; None where a concurrent request with it committed first (the caller then
    answers with that one's document)."""
    try:
        with session.begin_nested():
            session.add(
                IdempotencyKey(
                    account=caller.user_id,
                    key=key,
                    request_sha256=request_sha256,
                    document_id=intake.document_id,
                    ledger_id=intake.ledger_id,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        return session.get(IdempotencyKey, (caller.user_id, key))
    return None


@router.post(
    "/people/{person_id}/documents",
    status_code=202,
    response_model=UploadAccepted,
    responses=errors(404, 409, 413, 415, e404="no such person (or outside the caller's access)"),
)
def upload_document(
    request: Request,
    response: Response,
    person_id: Annotated[str, Path(description="the person's ID (the target system's)")],
    file: Annotated[UploadFile, File(description="the document", json_schema_extra=BINARY)],
    idempotency_key: IdempotencyHeader,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    caller: WriteCaller,
    metadata: Annotated[
        str,
        Form(
            description="JSON: title, doc_type, document_date (YYYY-MM-DD), source_reference, "
            "author, person_ids (further people)"
        ),
    ] = "{}",
) -> dict[str, Any]:
    """Store a new document for a person: answered at once with its ID and status URL, then
    typed, sandboxed, extracted or OCRed, classified, linked to the people named and indexed
    as a migrated document is. Idempotent by `Idempotency-Key`."""
    meta = _metadata(metadata)
    write_first(session)
    people = list(dict.fromkeys([person_id, *meta.person_ids]))
    for pid in people:
        access.check_person(session, caller, pid)
    check_extension(file.filename or "")
    spooled, sha256, size = _spool(file, settings)
    try:
        described = {
            "route": "upload",
            "people": people,
            "sha256": sha256,
            "metadata": meta.model_dump(mode="json"),
        }
        request_sha256 = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
        seen = _replay(session, caller, idempotency_key, request_sha256)
        if seen is not None:
            document = docs.get_document(session, seen.document_id)
            return _answer(document.id, document.state, True, response)
        intake = register_upload(
            session,
            home=settings.home,
            account=_account(caller),
            on_behalf_of=caller.on_behalf_of or caller.user_id,
            person_ids=people,
            file_name=file.filename or "",
            spooled=spooled,
            metadata=UploadMetadata(
                title=meta.title,
                doc_type=meta.doc_type,
                document_date=meta.document_date,
                source_reference=meta.source_reference,
                author=meta.author,
                person_ids=tuple(people[1:]),
            ),
            now=utcnow(),
        )
    finally:
        spooled.unlink(missing_ok=True)  # moved under uploads/ where registered
    raced = _remember(session, caller, idempotency_key, request_sha256, intake)
    if raced is not None:
        session.rollback()
        shutil.rmtree(upload_folder(settings.home, intake.batch), ignore_errors=True)
        document = docs.get_document(session, raced.document_id)
        return _answer(document.id, document.state, True, response)
    _audit_upload(session, caller, intake, "document_uploaded", people, sha256, size, file)
    after_commit(session, partial(dispatch, request.app, settings, store, index, intake))
    return _answer(intake.document_id, RowState.PENDING, False, response)


def _audit_upload(
    session: Session,
    caller: Caller,
    intake: Intake,
    action: str,
    people: list[str],
    sha256: str,
    size: int,
    file: UploadFile,
) -> None:
    audit.record(
        session,
        actor=caller.user_id,
        action=action,
        target_type="document",
        target_id=str(intake.document_id),
        person_ids=people,
        on_behalf_of=caller.on_behalf_of,
        detail={
            "batch": intake.batch,
            "sha256": sha256,
            "size": size,
            "file_name": file.filename or "",
        },
    )


@router.post(
    "/documents/{document_id}/versions",
    status_code=202,
    response_model=UploadAccepted,
    responses=errors(404, 409, 413, 415, e409="the document is still being processed"),
)
def new_version(
    request: Request,
    response: Response,
    document_id: IdPath,
    file: Annotated[
        UploadFile, File(description="the document's new content", json_schema_extra=BINARY)
    ],
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    caller: WriteCaller,
    idempotency_key: Annotated[
        str,
        Header(alias="Idempotency-Key", max_length=200, description="as for an upload"),
    ] = "",
) -> dict[str, Any]:
    """A new content for a document (uploaded or migrated): the pipeline reads it again and
    it becomes the document's next version; the earlier ones are kept."""
    write_first(session)
    people = access.check_document(session, caller, document_id)
    document = docs.get_document(session, document_id)
    check_extension(file.filename or "")
    spooled, sha256, size = _spool(file, settings)
    try:
        request_sha256 = hashlib.sha256(f"version:{document_id}:{sha256}".encode()).hexdigest()
        seen = (
            _replay(session, caller, idempotency_key, request_sha256) if idempotency_key else None
        )
        if seen is not None:
            return _answer(document_id, document.state, True, response)
        if not RowState(document.state).terminal:
            raise Conflict(f"document {document_id} is still being processed; send it after")
        intake = register_version(
            session,
            home=settings.home,
            account=_account(caller),
            on_behalf_of=caller.on_behalf_of or caller.user_id,
            document=document,
            file_name=file.filename or "",
            spooled=spooled,
            now=utcnow(),
        )
    finally:
        spooled.unlink(missing_ok=True)
    if idempotency_key:
        raced = _remember(session, caller, idempotency_key, request_sha256, intake)
        if raced is not None:
            session.rollback()
            shutil.rmtree(upload_folder(settings.home, intake.batch), ignore_errors=True)
            return _answer(document_id, document.state, True, response)
    _audit_upload(session, caller, intake, "document_new_version", people, sha256, size, file)
    after_commit(session, partial(dispatch, request.app, settings, store, index, intake))
    return _answer(document_id, document.state, False, response)


@router.patch(
    "/documents/{document_id}",
    response_model=MetadataCorrected,
    responses=errors(404, 409, e409="the document is still being processed"),
)
def correct_document(
    document_id: IdPath,
    body: CorrectionBody,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    index: IndexDep,
    caller: WriteCaller,
) -> dict[str, Any]:
    """Correct a document's metadata (title, type, date, source reference, author): each
    change kept as a metadata version with the caller, audited, and re-indexed."""
    write_first(session)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"reason"}, mode="json")
    answer = corrections.correct_metadata(
        session,
        index,
        caller=caller,
        document_id=document_id,
        changes=changes,
        reason=body.reason,
    )
    if {"doc_type", "document_date"} & set(answer["changed"]):
        # A type or date decides the record class and the disposal date: decided again now.
        evaluate_retention(settings, store, session, [document_id])
    return answer


def _may_read(session: Session, caller: Caller) -> bool:
    """Whether the caller reads documents: a person or the static token by their roles (the
    read checks decide), a service account by its documents:read scope."""
    if not (caller.service and caller.on_behalf_of):
        return True
    name = caller.user_id.removeprefix(ACTOR_PREFIX)
    return "documents:read" in accounts.get_account(session, name).scopes


def _check_sent(session: Session, caller: Caller, document_id: int) -> None:
    """Not found, as a missing document, unless this account's uploads made or changed it."""
    sent = session.scalar(
        select(LedgerRow.id)
        .where(
            LedgerRow.document_id == document_id,
            LedgerRow.batch.startswith(f"{UPLOAD_BATCH_PREFIX}{_account(caller)}/"),
        )
        .limit(1)
    )
    if sent is None:
        audit.refuse(
            session,
            actor=caller.user_id,
            target_type="document",
            target_id=str(document_id),
            why="the account may only upload: not one of its uploads",
            on_behalf_of=caller.on_behalf_of,
            answer=NotFound(access.not_found_message("document", str(document_id))),
        )


@router.get(
    "/documents/{document_id}/status",
    response_model=UploadStatus,
    responses=errors(404),
)
def upload_status(document_id: IdPath, session: SessionDep, caller: StatusCaller) -> dict[str, Any]:
    """Where a document is on its way through the pipeline; `searchable` once indexed. A key
    that may only upload (`documents:write`) follows what its account sent, nothing else."""
    people = access.check_document(session, caller, document_id)
    if not _may_read(session, caller):
        _check_sent(session, caller, document_id)
    document = session.get(Document, document_id)
    assert document is not None
    # A new version on its way: its row's state, while the document (and the index) still
    # hold the version before it.
    newest = session.scalar(
        select(LedgerRow)
        .where(LedgerRow.document_id == document_id)
        .order_by(LedgerRow.id.desc())
        .limit(1)
    )
    state = document.state
    if newest is not None and not RowState(newest.state).terminal:
        state = newest.state
    # A read of the record like any other (its type, its people): audited.
    audit.record(
        session,
        actor=caller.user_id,
        action="view_status",
        target_type="document",
        target_id=str(document_id),
        person_ids=people,
        on_behalf_of=caller.on_behalf_of,
        why=caller.why(people),
    )
    return {
        "id": document.id,
        "state": state,
        "reason": document.reason,
        "detail": document.detail,
        "searchable": document.state == RowState.INDEXED,
        "version": document.version,
        "doc_type": document.doc_type,
        "person_ids": people,
        "document_url": f"/api/documents/{document.id}",
    }


_ = date  # BoundedDate's base, for FastAPI's resolution of the bodies' annotations
