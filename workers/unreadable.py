"""Bytes that contradict their name: a file no extractor can read whose content is not what its
extension says (random bytes named .pdf, a .docx that is no zip) is not a metadata-only file
like any other. It is kept, linked to its people and indexed by its metadata as before, but with
reason `unreadable` and an `unreadable` exception, so a person looks at it.

The mismatch is workers.filetype.extension_mismatch, recorded on the document when it was
stored; this module only decides what follows from it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog.models import Document
from core.states import Reason
from domain.vocabulary import UNREADABLE
from workers.extract.base import ExtractionResult

# What "no extractor can read it" is: none for its type, or the one for its type failed on it.
_UNREAD = {Reason.UNSUPPORTED_TYPE.value, Reason.CORRUPT.value}


def judged(document: Document, result: ExtractionResult) -> ExtractionResult:
    """The extraction as it is recorded: an unread file whose name contradicts its content
    becomes an `unreadable` one (no text, kept and linked), any other result stays as it is."""
    if result.reason not in _UNREAD or not document.extension_mismatch:
        return result
    detail = _contradiction(document)
    if result.detail:
        detail += f" ({result.detail})"
    return ExtractionResult(
        ok=True, engine=result.engine, reason=Reason.UNREADABLE.value, detail=detail[:500]
    )


def twin_reason(document: Document, reason: str | None) -> str | None:
    """The reason a document takes with a twin's text (same bytes, perhaps another name)."""
    if reason == Reason.UNREADABLE and not document.extension_mismatch:
        return Reason.UNSUPPORTED_TYPE.value
    if reason == Reason.UNSUPPORTED_TYPE and document.extension_mismatch:
        return Reason.UNREADABLE.value
    return reason


def queue_unreadable(
    session: Session, document: Document, now: datetime, *, new_document: bool
) -> None:
    """Open the document's `unreadable` exception, if that is its reason."""
    if document.reason == Reason.UNREADABLE:
        docs.open_exception(
            session,
            document_id=document.id,
            kind=UNREADABLE,
            detail=document.detail or _contradiction(document),
            candidates=[],
            now=now,
            new_document=new_document,
        )


def _contradiction(document: Document) -> str:
    suffix = PurePath(document.original_name.replace("\\", "/")).suffix.lower()
    return f"named {suffix} but its content is {document.mime}"
