"""Email attachments and archives' members become child documents, linked to the people
their parent is on."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog.models import Document
from core.states import Reason, RowState
from workers.extract.base import SCRATCH_PREFIX, Attachment
from workers.filetype import extension_mismatch
from workers.ingest import Quarantine, store_file
from workers.pipeline import Context

# An email attached to an email attached to an email (a zip in a zip in a zip...) stops
# here: a document this deep that still holds files ends `too_large` (docs/decisions/0025).
MAX_DEPTH = 3


def _depth(session: Session, document: Document) -> int:
    depth, parent_id = 0, document.parent_id
    while parent_id is not None and depth <= MAX_DEPTH:
        parent = session.get(Document, parent_id)
        parent_id = parent.parent_id if parent is not None else None
        depth += 1
    return depth


def add_attachments(
    ctx: Context, session: Session, parent: Document, attachments: list[Attachment]
) -> list[Document]:
    """Store each attachment and create (or find) its child document. The temp files stay for
    the caller's discard_files(): a runner that rolls back may record the attachments again."""
    children: list[Document] = []
    if not attachments:
        return children
    if _depth(session, parent) >= MAX_DEPTH:
        # Its files are not kept: say so on it, rather than index it as if it were whole.
        parent.state, parent.reason = RowState.QUARANTINED, Reason.TOO_LARGE.value
        parent.detail = f"{len(attachments)} files nested deeper than {MAX_DEPTH} levels"
        return children
    for number, attachment in enumerate(attachments, start=1):
        child = _child(ctx, session, parent, number, attachment)
        if child is not None:
            children.append(child)
    session.flush()
    return children


def discard_files(attachments: list[Attachment]) -> None:
    """Remove the temp files the extractor wrote for attachments (stored or not), and the
    scratch folder of the sandbox job that wrote them."""
    folders = set()
    for attachment in attachments:
        path = Path(attachment.path)
        path.unlink(missing_ok=True)
        if path.parent.name.startswith(SCRATCH_PREFIX):
            folders.add(path.parent)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _child(
    ctx: Context, session: Session, parent: Document, number: int, attachment: Attachment
) -> Document | None:
    source_id = f"{parent.source_document_id}#attachment-{number}"
    try:
        stored = store_file(Path(attachment.path), ctx.store, ctx.tmp_dir)
    except Quarantine:
        return None  # an empty attachment carries nothing to keep
    now = ctx.now()
    docs.ensure_blob(
        session, sha256=stored.sha256, key=stored.key, size=stored.size, mime=stored.mime, now=now
    )
    child = docs.find_document(session, parent.source_system, source_id)
    if child is not None and child.sha256 == stored.sha256:
        return None if child.state == RowState.INDEXED else child
    if child is None:
        child = Document(
            source_system=parent.source_system,
            source_document_id=source_id,
            parent_id=parent.id,
            version=1,
            created_at=now,
        )
        session.add(child)
    else:
        child.version += 1
    name = attachment.name or _unpacked_name(parent.original_name)
    child.sha256, child.mime, child.original_name = stored.sha256, stored.mime, name
    child.title = name
    # By the name it came under: its temp file's name is ours (an archive member's has none).
    child.extension_mismatch = extension_mismatch(name, stored.mime)
    child.document_date, child.date_source = parent.document_date, parent.date_source
    child.batch, child.state, child.reason, child.detail = parent.batch, RowState.STORED, None, ""
    if attachment.reason is not None:  # an encrypted member: kept, but nothing to read
        child.state, child.reason = RowState.QUARANTINED, attachment.reason
        child.detail = attachment.detail
    child.updated_at = now
    session.flush()
    docs.add_version(session, child, stored.sha256, parent.batch, now)
    return child


def _unpacked_name(packed: str) -> str:
    """The name of a compressed file's one stream: its own name less the compression's
    extension (`letter.txt.gz` -> `letter.txt`)."""
    path = Path(packed.replace("\\", "/"))
    return path.stem if path.suffix.lower() in (".gz", ".gzip", ".bz2", ".xz") else path.name
