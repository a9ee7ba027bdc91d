"""Building and releasing a SAR bundle: the reviewer's decisions (records/sar_redact.py) and the
documents' renditions (catalog) handed to the burn-in and the gate (workers/redact/bundle.py),
and a bundle that passed kept as its own record: its zip and PDF in the blob store, a
SarRelease (retention class "SAR copy"), the release audited (docs/decisions/0034).

Here, in a face, because it is the one place that may import both governance (records) and the
pipeline (workers); the CLI (`escr sar bundle`) and the API call it alike.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog import audit, renditions
from catalog.documents import ensure_blob, get_text
from catalog.models import Document, Person
from catalog.models_sar import SarRelease
from core.clock import utcnow
from core.errors import Conflict
from records import sar_redact
from records.sar import get_request
from storage.base import BlobStore, content_key
from workers.redact.base import Box
from workers.redact.bundle import WHOLE_FILE, BundleDocument, BundleOutcome, LogEntry, build_bundle
from workers.redact.front import Letter
from workers.sandbox import SandboxPool


def _box(box: sar_redact.PageBox) -> Box:
    return Box(box.page - 1, box.x, box.y, box.x + box.w, box.y + box.h)


def _read_pages(session: Session, document: Document, pages: int) -> dict[int, str]:
    """What extraction read on each page it OCRed (0-based), for the burn-in's check that a
    term read there was burned out (workers/redact/bundle.unlocated_terms). A text whose pages
    do not line up with the rendition's is checked as one page: anywhere in the file."""
    if not document.ocr_pages:
        return {}
    text = get_text(session, document.id)
    texts = text.split("\f")
    if len(texts) != pages:
        return {WHOLE_FILE: text}
    ocred = {int(number) - 1 for number in (document.ocr_page_confidence or {})}
    return {page: texts[page] for page in ocred or range(pages) if 0 <= page < pages}


def _log(plan: sar_redact.DocumentPlan) -> tuple[LogEntry, ...]:
    entries = []
    for row in plan.redactions:
        approver = row.approved_by or row.decided_by
        page = row.page - 1 if row.page is not None and not row.term else None
        entries.append(LogEntry(row.code, row.reason, approver, term=row.term, page=page))
    return tuple(entries)


def release(
    session: Session,
    sar_id: int,
    *,
    actor: str,
    out_dir: Path,
    store: BlobStore,
    pool: SandboxPool,
    today: date,
    dpi: int = 200,
) -> tuple[BundleOutcome, SarRelease | None]:
    """Build the bundle into `out_dir`; when the gate passes, keep and audit the release. A
    refused bundle is audited too (with what the gate found, never the terms)."""
    request = get_request(session, sar_id)
    blocked = sar_redact.blockers(session, sar_id)
    if blocked:
        raise Conflict("the bundle cannot be built yet: " + "; ".join(blocked))
    plans = sar_redact.plans(session, sar_id)
    if not plans:
        raise Conflict(f"request {sar_id} has no included documents: collate it first")
    person = session.get(Person, request.person_id)
    with ExitStack() as stack:
        documents = []
        for document_id, plan in plans.items():
            document = session.get(Document, document_id)
            assert document is not None
            made = renditions.current(session, document)
            if made is None or made.sha256 is None:
                why = "no rendition yet" if made is None else f"no rendition: {made.reason}"
                raise Conflict(f"document {document_id} has {why}: render it or exclude it")
            path = stack.enter_context(store.local_copy(content_key(made.sha256)))
            documents.append(
                BundleDocument(
                    document_id=document_id,
                    title=document.title,
                    date=document.document_date.isoformat() if document.document_date else "",
                    doc_type=document.doc_type,
                    source_system=document.source_system,
                    rendition=path,
                    pages=made.pages,
                    terms=plan.terms,
                    boxes=tuple(_box(box) for box in plan.boxes),
                    log=_log(plan),
                    read_pages=_read_pages(session, document, made.pages),
                )
            )
        name = f"{person.given_name} {person.family_name}".strip() if person else ""
        letter = Letter(
            subject_name=name or "Sir or Madam",
            reference=f"SAR-{sar_id}",
            received=request.received.isoformat(),
            released=today.isoformat(),
            documents=len(documents),
            pages=0,
        )
        outcome = build_bundle(pool, documents, letter, out_dir, dpi=dpi)
    # The burn took minutes: end the transaction that read the plans, so what is written below
    # starts a fresh one (on SQLite a read cannot become a write once another request has
    # written meanwhile: "database is locked" at once, whatever the busy timeout).
    sar_id, person_id = request.id, request.person_id
    session.commit()
    if not outcome.ok:
        audit.record(
            session,
            actor=actor,
            action="sar_release_refused",
            target_type="sar",
            target_id=str(sar_id),
            person_ids=[person_id],
            detail={"problems": outcome.problems[:50]},
        )
        return outcome, None
    return outcome, _keep(session, sar_id, person_id, outcome, actor, store)


def _keep(
    session: Session,
    sar_id: int,
    person_id: str,
    outcome: BundleOutcome,
    actor: str,
    store: BlobStore,
) -> SarRelease:
    """The released bundle as its own record: blobs, a SarRelease, the audit event."""
    assert outcome.pdf is not None and outcome.zip is not None
    now = utcnow()
    for path, sha, mime in (
        (outcome.zip, outcome.zip_sha256, "application/zip"),
        (outcome.pdf, outcome.pdf_sha256, "application/pdf"),
    ):
        info = store.put_file(content_key(sha), path)
        ensure_blob(session, sha256=sha, key=content_key(sha), size=info.size, mime=mime, now=now)
    row = SarRelease(
        sar_id=sar_id,
        bundle_sha256=outcome.zip_sha256,
        blob_key=content_key(outcome.zip_sha256),
        pdf_sha256=outcome.pdf_sha256,
        pages=outcome.pages,
        documents=outcome.documents,
        manifest=outcome.manifest,
        released_by=actor,
        released_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="sar_release",
        target_type="sar",
        target_id=str(sar_id),
        person_ids=[person_id],
        detail={
            "release": row.id,
            "zip_sha256": outcome.zip_sha256,
            "pdf_sha256": outcome.pdf_sha256,
            "pages": outcome.pages,
            "documents": outcome.documents,
        },
    )
    return row


def outcome_json(outcome: BundleOutcome, row: SarRelease | None) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "release_id": row.id if row is not None else None,
        "pdf": str(outcome.pdf) if outcome.pdf else None,
        "zip": str(outcome.zip) if outcome.zip else None,
        "pdf_sha256": outcome.pdf_sha256,
        "zip_sha256": outcome.zip_sha256,
        "pages": outcome.pages,
        "documents": outcome.documents,
        "problems": outcome.problems,
        "seconds": {k: round(v, 2) for k, v in outcome.seconds.items()},
    }
