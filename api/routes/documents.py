"""Search, documents, people's chronologies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from api.deps import ActorDep, IndexDep, SessionDep, StoreDep
from indexer.base import SearchQuery
from records import reads

router = APIRouter()


@router.get("/search")
def search(
    session: SessionDep,
    index: IndexDep,
    actor: ActorDep,
    q: str = "",
    person: Annotated[list[str] | None, Query()] = None,
    type: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Full-text search with filters, highlighted snippets and facet counts."""
    query = SearchQuery(
        text=q,
        person_ids=tuple(person or ()),
        doc_types=tuple(type or ()),
        source_systems=tuple(source or ()),
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
        facets=True,
    )
    return reads.search_results_json(reads.search(session, index, query, actor=actor))


@router.get("/documents/{document_id}")
def document(document_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A document's metadata, how it was classified and linked, and why."""
    return reads.document_metadata(session, document_id, actor=actor)


@router.get("/documents/{document_id}/text", response_class=PlainTextResponse)
def document_text(document_id: int, session: SessionDep, actor: ActorDep) -> str:
    return reads.document_text(session, document_id, actor=actor)


@router.get("/documents/{document_id}/content")
def document_content(
    document_id: int, session: SessionDep, store: StoreDep, actor: ActorDep
) -> StreamingResponse:
    """The original file, as loaded."""
    document = reads.document_content(session, document_id, actor=actor)
    session.commit()  # the audit event lands before any byte leaves
    assert document.sha256 is not None
    from storage.base import content_key

    handle = store.open(content_key(document.sha256))

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    safe_name = "".join(c for c in document.original_name if c.isalnum() or c in "._- ") or "file"
    return StreamingResponse(
        chunks(),
        media_type=document.mime or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'},
    )


@router.get("/people/{person_id}/documents")
def chronology(person_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A person's documents, newest first."""
    return reads.chronology(session, person_id, actor=actor)
