"""Subject access review routes: what the workbench pages do, for any client. Candidates
included or excluded by a person, suggestions, redactions (accept, reject, move, add "every
occurrence"), the second sign-off, the bundle (build, gate, release) and its downloads, and a
later request started from the same person's last release.

Included by api/routes/sar.py's router (the same tag and /api/sar prefix). IG officers and
administrators only (ActorDep, a refusal audited); a second sign-off and a release need a named
person (ReviewerDep), as disposal's approvals do. Everything is audited with the person.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ActorDep, CallerDep, ReviewerDep, SessionDep, SettingsDep, StoreDep
from api.params import IdPath
from api.sar_build import build
from api.schemas import errors
from api.schemas.sar_review import (
    Approved,
    Built,
    Exemptions,
    ItemDecided,
    Made,
    RedactionOut,
    Redactions,
    Releases,
    Started,
    Suggested,
)
from records import sar_grants, sar_redact, sar_review, sar_suggest
from records.access import Caller
from records.sar import TEXT_MAX, get_request
from records.sar_redact import PageBox
from storage.base import BlobStore, content_key

router = APIRouter(tags=["subject access"])

GOVERNANCE = errors(401, 403, e403="needs an IG officer or administrator (the refusal is audited)")
ONE = {**GOVERNANCE, **errors(404, 422, e404="no such request, document or redaction")}
CHANGE = {**ONE, **errors(409, e409="the request's state does not allow it")}
Reason = Annotated[str, Field(max_length=TEXT_MAX)]
Term = Annotated[str, Field(max_length=sar_redact.TERM_MAX)]
Code = Annotated[str, Field(max_length=100)]
DocumentPath = Annotated[int, Path(ge=1, le=2**62, description="the document's catalog ID")]
RedactionPath = Annotated[int, Path(ge=1, le=2**62, description="the redaction's ID")]
ReleasePath = Annotated[int, Path(ge=1, le=2**62, description="the release's ID")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoxBody(Strict):
    page: int = Field(ge=1, le=100_000, description="1-based")
    x: float = Field(ge=0, le=100_000)
    y: float = Field(ge=0, le=100_000)
    w: float = Field(gt=0, le=100_000)
    h: float = Field(gt=0, le=100_000)

    def page_box(self) -> PageBox:
        return PageBox(self.page, self.x, self.y, self.w, self.h)


class ItemDecision(Strict):
    decision: str = Field(description="include or exclude")
    reason: Reason


class AddBody(Strict):
    term: Term = Field(default="", description="redact every occurrence of this text")
    box: BoxBody | None = Field(default=None, description="or a box on one document's page")
    document_id: int | None = Field(
        default=None, ge=1, description="only this document (a box needs one); none: all"
    )
    code: Code = Field(description="an exemption code (GET /api/sar/exemptions)")
    reason: Reason


class DecideBody(Strict):
    decision: str = Field(description="accept or reject")
    code: Code = Field(default="", description="to accept: the exemption code (default: kept)")
    reason: Reason


class MoveBody(Strict):
    term: Term = ""
    box: BoxBody | None = None
    reason: Reason


class ApproveBody(Strict):
    redaction_ids: list[int] = Field(
        default_factory=list, max_length=10_000, description="only these (default: all waiting)"
    )


class NoOptions(Strict):
    """Empty (`{}`) or absent."""


@router.get("/sar/exemptions", response_model=Exemptions, responses=GOVERNANCE)
def exemption_codes(settings: SettingsDep, actor: ActorDep) -> dict[str, Any]:
    """The exemption codes a redaction may carry (ESCR_SAR__EXEMPTIONS_FILE or the built-in
    list), and which need a second person's sign-off."""
    codes = sar_redact.exemptions(settings.sar.exemptions_file)
    return {
        "exemptions": [
            {"code": e.code, "label": e.label, "second_signoff": e.second_signoff}
            for e in codes.values()
        ]
    }


@router.post(
    "/sar/{sar_id}/items/{document_id}/decision", response_model=ItemDecided, responses=CHANGE
)
def decide_item(
    sar_id: IdPath,
    document_id: DocumentPath,
    body: ItemDecision,
    session: SessionDep,
    actor: ActorDep,
) -> dict[str, Any]:
    """Include or exclude a collated document (a candidate is included only this way)."""
    item = sar_review.decide_item(
        session, sar_id, document_id, actor=actor, decision=body.decision, reason=body.reason
    )
    return {
        "sar_id": sar_id,
        "document_id": document_id,
        "status": item.status,
        "status_reason": item.status_reason,
        "decided_by": item.decided_by,
    }


@router.post("/sar/{sar_id}/suggest", response_model=Suggested, responses=CHANGE)
def suggest(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Suggest redactions of third-party information in the included documents (a rejected
    or decided term is not suggested again)."""
    sar = settings.sar
    return sar_suggest.run(
        session, sar_id, actor=actor, code=sar.suggest_code,
        council_domains=sar.council_domains, staff_names=sar.staff_names,
        role_words=sar.role_words, exemptions_file=sar.exemptions_file,
    )  # fmt: skip


@router.get("/sar/{sar_id}/redactions", response_model=Redactions, responses=ONE)
def redactions(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    caller: CallerDep,
    document_id: Annotated[int | None, Query(ge=1, description="only this document's")] = None,
) -> dict[str, Any]:
    """Every redaction and suggestion (a restricted document's only with its grant), and what
    blocks the bundle."""
    request = get_request(session, sar_id)
    rows = sar_grants.visible_redactions(session, caller, sar_redact._rows(session, sar_id))
    if document_id is not None:
        rows = [row for row in rows if row.document_id == document_id]
    codes = sar_redact.exemptions(settings.sar.exemptions_file)
    sar_redact._audit(session, request, actor, "sar_redactions", "", shown=len(rows))
    return {
        "redactions": [sar_redact.redaction_json(row) for row in rows],
        "blockers": sar_redact.blockers(session, sar_id, codes),
    }


@router.post("/sar/{sar_id}/redactions", response_model=Made, responses=CHANGE)
def add_redaction(
    sar_id: IdPath,
    body: AddBody,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """A reviewer's redaction: every occurrence of a term (in one document or all), or a box;
    in one restricted document only with its grant."""
    if body.document_id is not None:
        sar_review.check_granted(session, caller, sar_id, body.document_id)
    made = sar_redact.add(
        session, sar_id, actor=actor, code=body.code, reason=body.reason, term=body.term,
        box=body.box.page_box() if body.box else None, document_id=body.document_id,
        codes=sar_redact.exemptions(settings.sar.exemptions_file),
    )  # fmt: skip
    return {"redactions": [sar_redact.redaction_json(row) for row in made]}


@router.post(
    "/sar/{sar_id}/redactions/{redaction_id}/decision",
    response_model=RedactionOut,
    responses=CHANGE,
)
def decide_redaction(
    sar_id: IdPath,
    redaction_id: RedactionPath,
    body: DecideBody,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """Accept (with a code) or reject a suggestion or a redaction, with a reason (in a
    restricted document only with its grant)."""
    sar_grants.check_redaction(session, caller, sar_id, redaction_id)
    row = sar_redact.decide(
        session, sar_id, redaction_id, actor=actor, decision=body.decision, code=body.code,
        reason=body.reason, codes=sar_redact.exemptions(settings.sar.exemptions_file),
    )  # fmt: skip
    return sar_redact.redaction_json(row)


@router.post(
    "/sar/{sar_id}/redactions/{redaction_id}/move", response_model=RedactionOut, responses=CHANGE
)
def move_redaction(
    sar_id: IdPath,
    redaction_id: RedactionPath,
    body: MoveBody,
    session: SessionDep,
    actor: ActorDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """Change what a redaction covers: a new term, or a moved box (signed off again); in a
    restricted document only with its grant."""
    sar_grants.check_redaction(session, caller, sar_id, redaction_id)
    row = sar_redact.move(
        session, sar_id, redaction_id, actor=actor, reason=body.reason, term=body.term,
        box=body.box.page_box() if body.box else None,
    )  # fmt: skip
    return sar_redact.redaction_json(row)


@router.post("/sar/{sar_id}/approve", response_model=Approved, responses=CHANGE)
def approve(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    actor: ReviewerDep,
    caller: CallerDep,
    body: ApproveBody | None = None,
) -> dict[str, Any]:
    """The second sign-off of redactions whose code needs one: refused (403, audited) to whoever
    made or accepted any of them, or lacks the grant of a restricted document they are in."""
    codes = sar_redact.exemptions(settings.sar.exemptions_file)
    sar_grants.check_signoff(session, caller, sar_id, body.redaction_ids if body else (), codes)
    return sar_redact.approve(
        session, sar_id, actor=actor, redaction_ids=body.redaction_ids if body else (),
        codes=sar_redact.exemptions(settings.sar.exemptions_file),
    )  # fmt: skip


@router.post("/sar/{sar_id}/bundle", response_model=Built, responses=CHANGE)
def build_bundle(
    sar_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    actor: ReviewerDep,
    caller: CallerDep,
    body: NoOptions | None = None,
) -> dict[str, Any]:
    """Render what is missing, burn the redactions in, and release only if the gate finds no
    redacted term anywhere in the output (`ok` false, nothing kept, otherwise). 409 while a
    suggestion is undecided or a redaction waits for its second sign-off; 403 where a document
    in it needs a grant the caller lacks."""
    sar_grants.check_build(session, caller, sar_id)
    return build(session, sar_id, actor=actor, settings=settings, store=store)


@router.get("/sar/{sar_id}/releases", response_model=Releases, responses=ONE)
def releases(sar_id: IdPath, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """This request's releases, and the last release of an earlier request on the person."""
    request = get_request(session, sar_id)
    found = sar_review.releases_of(session, sar_id)
    previous = sar_review.last_release(session, sar_id)
    sar_redact._audit(session, request, actor, "sar_releases", "", shown=len(found))
    return {
        "releases": [sar_review.release_json(r) for r in found],
        "previous": sar_review.release_json(previous) if previous else None,
    }


def stream_release_file(
    session: Any, store: BlobStore, sar_id: int, release_id: int, name: str, caller: Caller
) -> StreamingResponse:
    """A released bundle's file as a download (shared with the pages); audited before any byte
    leaves. A release holding a restricted document needs its grant (sar_grants)."""
    sar_grants.check_download(session, caller, sar_id, release_id)
    actor = caller.user_id
    sha, mime = sar_review.release_file(session, sar_id, release_id, name, actor=actor)
    session.commit()  # the audit event stands even if the client drops the download
    handle = store.open(content_key(sha))

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=mime,
        headers={
            "Content-Disposition": f'attachment; filename="sar-{sar_id}-{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _file_answer(name: str, mime: str) -> dict[int | str, dict[str, Any]]:
    return {
        **ONE,
        200: {
            "description": f"the release's {name}, as the gate passed it",
            "content": {mime: {"schema": {"type": "string", "format": "binary"}}},
        },
    }


@router.get(
    "/sar/{sar_id}/releases/{release_id}/bundle.pdf",
    response_class=Response,
    responses=_file_answer("bundle.pdf", "application/pdf"),
)
def release_pdf(
    sar_id: IdPath,
    release_id: ReleasePath,
    session: SessionDep,
    store: StoreDep,
    actor: ActorDep,
    caller: CallerDep,
) -> StreamingResponse:
    """A release's paginated PDF (the download is audited)."""
    return stream_release_file(session, store, sar_id, release_id, "bundle.pdf", caller)


@router.get(
    "/sar/{sar_id}/releases/{release_id}/bundle.zip",
    response_class=Response,
    responses=_file_answer("bundle.zip", "application/zip"),
)
def release_zip(
    sar_id: IdPath,
    release_id: ReleasePath,
    session: SessionDep,
    store: StoreDep,
    actor: ActorDep,
    caller: CallerDep,
) -> StreamingResponse:
    """A release's zip: covering letter, index, documents, redaction log, glossary, manifest
    (the download is audited)."""
    return stream_release_file(session, store, sar_id, release_id, "bundle.zip", caller)


@router.post("/sar/{sar_id}/start-from-last-release", response_model=Started, responses=CHANGE)
def start_from_last_release(
    sar_id: IdPath, session: SessionDep, actor: ActorDep, body: NoOptions | None = None
) -> dict[str, Any]:
    """Reuse the decisions of the person's last release on this (collated) request: decided
    candidates and every decided redaction on documents collated again (signed off again where
    the code needs it); the documents that release did not send are listed as new."""
    return sar_review.start_from_last_release(session, sar_id, actor=actor)
