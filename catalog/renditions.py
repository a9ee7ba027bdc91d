"""The catalog's renditions: which documents wait for one, what was made, who shares a PDF.

A rendition is made for a document's current version (documents.version); a new version waits
for its own. Twins (documents with the same content) share one PDF: the second gets a row that
names the first's blob without rendering again. Functions take a session and do not commit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.orm import Session

from catalog.documents import ensure_blob
from catalog.models import Document
from catalog.models_renditions import RENDITION_MIME, Rendition
from core.states import Reason, RowState

# Documents worth a rendition: their reading has finished (a rendition never competes with
# loading for a document still on its way), and the file was readable, or damaged in a way a
# repair may get past (a PDF with a broken cross-reference table).
RENDERABLE_STATES = (RowState.INDEXED.value,)
REPAIRABLE = (RowState.QUARANTINED.value, Reason.CORRUPT.value)


@dataclass(frozen=True)
class Made:
    """What the render stage made of one document: a PDF stored under `sha256`, or why not."""

    sha256: str | None
    pages: int = 0
    method: str = ""
    reason: str | None = None
    detail: str = ""
    seconds: float = 0.0
    size: int = 0
    key: str = ""


def _has_rendition() -> ColumnElement[bool]:
    """A rendition row (made or failed) exists for the document's current version."""
    return exists().where(
        Rendition.document_id == Document.id, Rendition.version == Document.version
    )


def _renderable() -> ColumnElement[bool]:
    return Document.state.in_(RENDERABLE_STATES) | and_(
        Document.state == REPAIRABLE[0], Document.reason == REPAIRABLE[1]
    )


def waiting(
    session: Session, *, batch: str | None = None, after_id: int = 0, limit: int = 200
) -> Sequence[Document]:
    """Documents with stored content and no rendition row for their version yet, by ID."""
    query = (
        select(Document)
        .where(
            Document.id > after_id,
            Document.sha256.is_not(None),
            _renderable(),
            ~_has_rendition(),
        )
        .order_by(Document.id)
        .limit(limit)
    )
    if batch is not None:
        query = query.where(Document.batch == batch)
    return session.scalars(query).all()


def count_waiting(session: Session, *, batch: str | None = None) -> int:
    """How many documents `waiting` would give, all pages together (for progress)."""
    query = select(func.count(Document.id)).where(
        Document.sha256.is_not(None), _renderable(), ~_has_rendition()
    )
    if batch is not None:
        query = query.where(Document.batch == batch)
    return int(session.scalar(query) or 0)


def current(session: Session, document: Document) -> Rendition | None:
    """The rendition row of the document's current version, made or failed; None: not tried."""
    return session.scalar(
        select(Rendition).where(
            Rendition.document_id == document.id, Rendition.version == document.version
        )
    )


def twins_made(session: Session, source_sha256s: Collection[str]) -> dict[str, Rendition]:
    """A made rendition of each content, where any document with that content has one."""
    if not source_sha256s:
        return {}
    rows = session.scalars(
        select(Rendition).where(
            Rendition.source_sha256.in_(list(source_sha256s)), Rendition.sha256.is_not(None)
        )
    )
    return {row.source_sha256: row for row in rows}


def record(session: Session, document: Document, made: Made, now: datetime) -> Rendition:
    """Record what was made for the document's current version (its blob row first)."""
    assert document.sha256 is not None
    if made.sha256 is not None and made.sha256 != document.sha256:
        ensure_blob(
            session,
            sha256=made.sha256,
            key=made.key,
            size=made.size,
            mime=RENDITION_MIME,
            now=now,
        )
    row = Rendition(
        document_id=document.id,
        version=document.version,
        source_sha256=document.sha256,
        sha256=made.sha256,
        mime=RENDITION_MIME,
        pages=made.pages,
        method=made.method,
        reason=made.reason,
        detail=made.detail[:500],
        seconds=round(made.seconds, 3),
        made_at=now,
    )
    session.add(row)
    return row


def shared_from(twin: Rendition) -> Made:
    """A twin's rendition, for a document with the same content (nothing rendered again)."""
    return Made(sha256=twin.sha256, pages=twin.pages, method=twin.method, detail="twin")


def rendition_sha256s(session: Session, document_id: int) -> set[str]:
    """The PDFs of every version of a document (for disposal and transfer)."""
    found = session.scalars(
        select(Rendition.sha256).where(
            Rendition.document_id == document_id, Rendition.sha256.is_not(None)
        )
    )
    return {sha for sha in found if sha}


def renditions_of(session: Session, document_id: int) -> Sequence[Rendition]:
    """Every rendition row of a document, oldest version first."""
    return session.scalars(
        select(Rendition).where(Rendition.document_id == document_id).order_by(Rendition.version)
    ).all()


def forget(session: Session, document_id: int) -> None:
    """Remove the document's rendition rows (its blobs are the caller's to remove)."""
    session.execute(delete(Rendition).where(Rendition.document_id == document_id))


def used_by_any(session: Session, sha256: str) -> bool:
    """Whether any rendition row names this PDF."""
    return bool(session.scalar(select(exists().where(Rendition.sha256 == sha256))))


def summary(row: Rendition | None) -> dict[str, object]:
    """What a document's metadata says of its rendition: made, failed (with why) or waiting."""
    if row is None:
        return {"state": "waiting", "pages": 0, "method": "", "reason": None}
    state = "made" if row.sha256 is not None else "failed"
    return {"state": state, "pages": row.pages, "method": row.method, "reason": row.reason}


def waiting_among(session: Session, document_ids: Collection[int]) -> Sequence[Document]:
    """Those of the documents that wait for a rendition (as `waiting` would give them)."""
    return session.scalars(
        select(Document).where(
            Document.id.in_(list(document_ids)),
            Document.sha256.is_not(None),
            _renderable(),
            ~_has_rendition(),
        )
    ).all()
