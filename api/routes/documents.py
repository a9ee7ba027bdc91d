"""Search, documents, people's chronologies, and break-glass access to a person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from api import etags
from api.deps import CallerDep, IndexDep, SessionDep, SettingsDep, StoreDep, require_scope
from api.params import BoundedDate, BreakGlassReason, IdPath, Page, paging
from api.schemas import errors, text_route_errors
from api.schemas.documents import BreakGlassGrant, Chronology, DocumentMetadata, SearchResults
from catalog.models import Document
from catalog.models_renditions import Rendition
from core.clock import utcnow
from indexer.base import SearchQuery
from records import access, filters, reads
from storage.base import BlobStore, content_key

router = APIRouter(tags=["records"], responses=errors(401, 422))
# Reads a case management system's service account may make (scope documents:read), always
# with the access of the practitioner it names (api/service_auth.py).
ReadCaller = Annotated[access.Caller, Depends(require_scope("documents:read"))]
# Types a browser may show in our origin. Anything else (HTML above all: a legacy HTML file
# would run its scripts as this site) is only ever a download.
INLINE_SAFE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain"})
# A person's ID in the target system, as people.csv gives it.
PersonPath = Annotated[str, Path(description="a person's ID (the target system's)")]


@router.get("/search", response_model=SearchResults)
def search(
    session: SessionDep,
    index: IndexDep,
    caller: ReadCaller,
    page: Annotated[Page, Depends(paging(20, 200))],
    q: Annotated[
        str, Query(description="words to find in titles and text; empty: every document")
    ] = "",
    person: Annotated[
        list[str] | None, Query(description="only documents on these people (repeatable)")
    ] = None,
    type: Annotated[
        list[str] | None,
        Query(description="only these document types (repeatable; an unknown one is a 422)"),
    ] = None,
    source: Annotated[
        list[str] | None, Query(description="only from these source systems (repeatable)")
    ] = None,
    date_from: Annotated[
        BoundedDate | None, Query(description="documents dated on or after (YYYY-MM-DD)")
    ] = None,
    date_to: Annotated[
        BoundedDate | None, Query(description="documents dated on or before (YYYY-MM-DD)")
    ] = None,
) -> dict[str, Any]:
    """Full-text search with filters, highlighted snippets and facet counts (access-filtered).

    Only what the caller may see is searched, counted and faceted."""
    query = SearchQuery(
        text=q,
        person_ids=tuple(person or ()),
        doc_types=filters.doc_types(type or ()),
        source_systems=tuple(source or ()),
        date_from=date_from,
        date_to=date_to,
        limit=page.limit,
        offset=page.offset,
        facets=True,
    )
    return reads.search_results_json(reads.search(session, index, query, caller=caller))


_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "unchanged since the ETag sent in If-None-Match"}
}


@router.get(
    "/documents/{document_id}",
    response_model=DocumentMetadata,
    responses={**_NOT_MODIFIED, **errors(404)},
)
def document(
    document_id: IdPath,
    request: Request,
    response: Response,
    session: SessionDep,
    caller: ReadCaller,
) -> Any:
    """A document's metadata, how it was classified and linked, and why (with an ETag)."""
    return etags.tagged(
        request, response, reads.document_metadata(session, document_id, caller=caller)
    )


@router.get(
    "/documents/{document_id}/text",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "the extracted text"},
        **_NOT_MODIFIED,
        **text_route_errors(401, 404, 422),
    },
)
def document_text(
    document_id: IdPath, request: Request, session: SessionDep, caller: ReadCaller
) -> Response:
    """A document's extracted text (OCR's included), as indexed (with an ETag)."""
    text = reads.document_text(session, document_id, caller=caller)
    etag = etags.of_text(text)
    if etags.matches(request, etag):
        return etags.not_modified(etag)
    return PlainTextResponse(text, headers={"ETag": etag})


def stream_content(
    session: Any,
    store: BlobStore,
    document_id: int,
    caller: access.Caller,
    inline: bool,
    view_id: int | None = None,
    request: Request | None = None,
) -> Response:
    """The original file; `inline` for the web viewer, else a download (shared with api/web);
    `view_id`: the web page view it is part of (records.reads.document_page); with `request`,
    a 304 where its If-None-Match names the file's ETag (its SHA-256)."""
    document = reads.document_content(
        session, document_id, caller=caller, inline=inline, view_id=view_id
    )
    session.commit()  # the audit event lands before any byte leaves
    assert document.sha256 is not None
    etag = etags.strong(document.sha256)
    if request is not None and etags.matches(request, etag):
        return etags.not_modified(etag)
    handle = store.open(content_key(document.sha256))

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    safe_name = "".join(c for c in document.original_name if c.isalnum() or c in "._- ") or "file"
    disposition = "inline" if inline and document.mime in INLINE_SAFE else "attachment"
    return StreamingResponse(
        chunks(),
        media_type=document.mime or "application/octet-stream",
        headers={
            "Content-Disposition": f'{disposition}; filename="{safe_name}"',
            # The stored type is trusted only as sniffed at load; never let a browser guess.
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": etag,
        },
    )


@router.get(
    "/documents/{document_id}/content",
    # The route answers a stream itself: the class only keeps a JSON body out of the document.
    response_class=Response,
    responses={
        200: {
            "description": "the file, with its stored type; an attachment unless `inline`",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **_NOT_MODIFIED,
        **errors(
            404,
            e404="no such document or no file stored; one outside the caller's access answers "
            "the same (audited)",
        ),
    },
)
def document_content(
    document_id: IdPath,
    request: Request,
    session: SessionDep,
    store: StoreDep,
    caller: ReadCaller,
    inline: Annotated[
        bool,
        Query(description="shown in the browser where its type is safe to (PDF, images, text)"),
    ] = False,
) -> Response:
    """The original file, as loaded (its ETag is its SHA-256)."""
    return stream_content(session, store, document_id, caller, inline, request=request)


def stream_rendition(
    session: Any,
    store: BlobStore,
    document_id: int,
    caller: access.Caller,
    view_id: int | None = None,
    request: Request | None = None,
) -> Response:
    """The document's readable PDF, shown inline (shared with api/web): the same access check
    and audit as the original file, its own action (view_rendition)."""
    document, rendition = reads.document_rendition(
        session, document_id, caller=caller, view_id=view_id
    )
    return rendition_response(session, store, document, rendition, request)


def rendition_response(
    session: Any,
    store: BlobStore,
    document: Document,
    rendition: Rendition,
    request: Request | None = None,
) -> Response:
    """A rendition the caller was let in to read, streamed inline as a PDF."""
    session.commit()  # the audit event lands before any byte leaves
    assert rendition.sha256 is not None
    etag = etags.strong(rendition.sha256)
    if request is not None and etags.matches(request, etag):
        return etags.not_modified(etag)
    handle = store.open(content_key(rendition.sha256))

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="document-{document.id}.pdf"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": etag,
        },
    )


@router.get(
    "/documents/{document_id}/rendition",
    response_class=Response,
    responses={
        200: {
            "description": "the document's rendition: one PDF of its current version, page by "
            "page (scans with an invisible OCR text layer)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_NOT_MODIFIED,
        **errors(
            404,
            e404="no such document (one outside the caller's access answers the same, audited), "
            "or its rendition is not made: error RenditionNotReady, the metadata's rendition "
            "says whether it waits or failed",
        ),
    },
)
def document_rendition(
    document_id: IdPath, request: Request, session: SessionDep, store: StoreDep, caller: ReadCaller
) -> Response:
    """A PDF a person can read of any document, whatever its original type (its ETag is the
    rendition's SHA-256)."""
    return stream_rendition(session, store, document_id, caller, request=request)


@router.get(
    "/people/{person_id}/documents",
    response_model=Chronology,
    responses={**_NOT_MODIFIED, **errors(404)},
)
def chronology(
    person_id: PersonPath,
    session: SessionDep,
    caller: ReadCaller,
    request: Request,
    response: Response,
    page: Annotated[Page, Depends(paging(100, 500))],
    type: Annotated[str | None, Query(description="only documents of this type")] = None,
    date_from: Annotated[
        BoundedDate | None, Query(description="only documents dated on or after (YYYY-MM-DD)")
    ] = None,
    date_to: Annotated[
        BoundedDate | None, Query(description="only documents dated on or before (YYYY-MM-DD)")
    ] = None,
) -> Any:
    """A person's documents, newest first (undated last), paged, with an ETag."""
    body = reads.chronology(
        session,
        person_id,
        caller=caller,
        doc_type=filters.doc_type(type),
        date_from=date_from,
        date_to=date_to,
        limit=page.limit,
        offset=page.offset,
    )
    return etags.tagged(request, response, body)


class BreakGlassBody(BaseModel):
    reason: BreakGlassReason = Field(description="why, for the IG officer (10 characters at least)")
    # None takes the configured default; 0 or too many is refused (records/access.py), never
    # quietly replaced by the default.
    minutes: int | None = Field(
        default=None, description="how long the access lasts; none: the configured default"
    )


@router.post(
    "/people/{person_id}/break-glass",
    response_model=BreakGlassGrant,
    responses=errors(
        403, 404, e403="break-glass is for practitioners and team managers", e404="no such person"
    ),
)
def break_glass(
    person_id: PersonPath,
    body: BreakGlassBody,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """Emergency access to a person outside the caller's teams: audited as an alert."""
    grant = access.break_glass(
        session,
        caller,
        person_id,
        reason=body.reason,
        minutes=settings.auth.break_glass_minutes if body.minutes is None else body.minutes,
        max_minutes=settings.auth.break_glass_max_minutes,
        now=utcnow(),
    )
    return {"person_id": person_id, "expires_at": grant.expires_at.isoformat()}
