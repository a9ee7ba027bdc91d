"""Execute approved disposal: re-check, remove every copy, keep a residual record, certify.

The proposal row is written first, which takes SQLite's write lock (PostgreSQL: the holds table
is locked), so no hold can be made between the re-check and the removal. Each item runs in a
savepoint, and its blobs are removed from the store last: a store that refuses (S3 Object Lock)
rolls that item back instead of leaving a half-destroyed document.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.orm import Session

from catalog import audit, outbox, renditions
from catalog.models import (
    Blob,
    Document,
    DocumentLink,
    DocumentText,
    DocumentVersion,
    ExceptionItem,
    LedgerRow,
)
from catalog.models_retention import (
    DestructionCertificate,
    DestructionRecord,
    DisposalItem,
    RetentionBlobLock,
    RetentionDecision,
    RetentionOverride,
)
from core.clock import utcnow
from core.errors import Conflict, NotFound, PolicyViolation
from indexer.base import SearchIndex
from retention import appraise, certificates
from retention.disposal import get_proposal, reviews_of
from retention.evaluate import DUE, Evaluator
from retention.hold_match import holds_on
from retention.periods import not_after_today
from retention.transfer import Package, TransferFailed, write_package
from storage.base import BlobStore


@dataclass
class Outcome:
    """What one execution did."""

    certificate_id: str | None = None
    certificate_path: Path | None = None
    transfer_package: Path | None = None  # where the archive's package was written
    counts: dict[str, int] = field(default_factory=dict)


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # SHARE mode conflicts with INSERT: a hold cannot appear until this transaction ends.
        session.execute(text("LOCK TABLE legal_holds IN SHARE MODE"))


def shared(session: Session, sha: str) -> bool:
    """Whether a surviving document (any version, or a rendition: a twin's, or a born-digital
    PDF's own file) still needs this content."""
    in_docs = exists().where(Document.sha256 == sha)
    in_versions = exists().where(DocumentVersion.sha256 == sha)
    return bool(session.scalar(select(in_docs | in_versions))) or renditions.used_by_any(
        session, sha
    )


def _remove(session: Session, document: Document, store: BlobStore) -> dict[str, Any]:
    """Scrub the catalog of the document and delete content no survivor shares."""
    doc_id = document.id
    shas = {document.sha256} | set(
        session.scalars(select(DocumentVersion.sha256).where(DocumentVersion.document_id == doc_id))
    )
    # Its renditions go with it (docs/decisions/0027), unless a twin's rendition is the same PDF.
    shas |= renditions.rendition_sha256s(session, doc_id)
    renditions.forget(session, doc_id)
    shas.discard(None)
    people = sorted(
        session.scalars(select(DocumentLink.person_id).where(DocumentLink.document_id == doc_id))
    )
    owned: tuple[Any, ...] = (
        DocumentText,
        DocumentVersion,
        DocumentLink,
        ExceptionItem,
        RetentionDecision,
        RetentionOverride,
    )
    for model in owned:
        session.execute(delete(model).where(model.document_id == doc_id))
    # The ledger keeps the row's state for reconciliation, not the manifest's descriptive text.
    session.execute(update(LedgerRow).where(LedgerRow.document_id == doc_id).values(payload={}))
    document.state, document.reason, document.sha256 = "destroyed", "disposed", None
    document.title = document.original_name = document.legacy_person_ids = ""
    document.type_reason, document.detail, document.extra = "", "", {}
    session.flush()
    deleted: list[str] = []
    for sha in sorted(s for s in shas if s):
        if shared(session, sha):
            continue
        blob = session.get(Blob, sha)
        if blob is not None:
            deleted.append(blob.key)
            session.delete(blob)
            session.execute(delete(RetentionBlobLock).where(RetentionBlobLock.sha256 == sha))
    session.flush()
    for key in deleted:
        store.delete(key)  # PolicyViolation here rolls the item's savepoint back
    return {"sha256s": sorted(s for s in shas if s), "keys": deleted, "people": people}


def _approvals(session: Session, item: DisposalItem) -> list[dict[str, str]]:
    return [
        {"actor": r.actor, "justification": r.justification, "at": r.at.isoformat()}
        for r in reviews_of(session, [item.id])[item.id]
        if r.decision == "approve"
    ]


def _apply_other(session: Session, item: DisposalItem, actor: str) -> None:
    """extend / reclassify become an override the next evaluation respects."""
    row = session.get(RetentionOverride, item.document_id) or RetentionOverride(
        document_id=item.document_id, record_class="", actor=actor, at=utcnow()
    )
    if item.action == "extend":
        row.retain_until = date.fromisoformat(item.action_value)
    else:
        row.record_class = item.action_value
    row.reason, row.actor, row.at = f"disposal item {item.id}", actor, utcnow()
    session.add(row)
    item.status = "extended" if item.action == "extend" else "reclassified"


def _recheck(
    session: Session, evaluator: Evaluator, items: list[DisposalItem], today: date
) -> dict[int, str]:
    """Item ID -> why it may not be destroyed now (held, or no longer due)."""
    ids = [i.document_id for i in items]
    appraise.evaluate(session, evaluator, today=today, document_ids=ids)
    held = holds_on(session, ids)
    decisions = {
        doc_id: (status, reason)
        for doc_id, status, reason in session.execute(
            select(
                RetentionDecision.document_id, RetentionDecision.status, RetentionDecision.reason
            ).where(RetentionDecision.document_id.in_(ids))
        )
    }
    blocked: dict[int, str] = {}
    for item in items:
        status, reason = decisions.get(item.document_id, ("gone", "already destroyed or missing"))
        if item.document_id in held:
            blocked[item.id] = f"held by hold {', '.join(map(str, held[item.document_id]))}"
        elif status != DUE:
            blocked[item.id] = f"no longer due: {reason or status}"
    return blocked


def execute(
    session: Session,
    proposal_id: int,
    *,
    actor: str,
    evaluator: Evaluator,
    store: BlobStore,
    index: SearchIndex,
    home: Path,
    today: date,
) -> Outcome:
    """Carry out every approved item of the proposal; destroyed items get one certificate."""
    not_after_today(today, "an execution")
    proposal = get_proposal(session, proposal_id)
    if proposal.status != "open":
        raise Conflict(f"proposal {proposal_id} is {proposal.status}")
    proposal.status = "executing"
    session.flush()  # the first write: from here this transaction holds the write lock
    _lock(session)
    items = list(
        session.scalars(
            select(DisposalItem)
            .where(DisposalItem.proposal_id == proposal_id, DisposalItem.status == "approved")
            .order_by(DisposalItem.id)
        )
    )
    # Destroyed and transferred documents both leave the service, so both are re-checked.
    leaving = [i for i in items if i.action in _LEAVING]
    for item in items:
        if item.action not in _LEAVING:
            _apply_other(session, item, actor)
    blocked = _recheck(session, evaluator, leaving, today) if leaving else {}
    cert_id, records = uuid.uuid4().hex, []
    package = _package(session, store, leaving, blocked, proposal_id, cert_id, home)
    for item in leaving:
        if item.id in blocked:
            item.status, item.detail = "blocked", blocked[item.id]
            continue
        record = _destroy_item(
            session,
            item,
            store=store,
            actor=actor,
            cert_id=cert_id,
            package=package if item.action == "transfer" else None,
        )
        if record is not None:
            records.append(record)
    if records:
        index.delete([r.document_id for r in records])
    open_left = session.scalar(
        select(
            exists().where(
                DisposalItem.proposal_id == proposal_id,
                DisposalItem.status.in_(("proposed", "approved")),
            )
        )
    )
    proposal.status = "open" if open_left else "executed"
    outcome = Outcome(counts=_count(items), transfer_package=package.path if package else None)
    if records:
        outcome.certificate_id = cert_id
        outcome.certificate_path = _certify(session, proposal_id, records, actor, cert_id, home)
    audit.record(
        session,
        actor=actor,
        action="disposal_execute",
        target_type="proposal",
        target_id=str(proposal_id),
        detail={"certificate_id": outcome.certificate_id, **outcome.counts},
    )
    return outcome


def _count(items: list[DisposalItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return counts


_LEAVING = ("destroy", "transfer")


def _package(
    session: Session,
    store: BlobStore,
    leaving: list[DisposalItem],
    blocked: dict[int, str],
    proposal_id: int,
    cert_id: str,
    home: Path,
) -> Package | None:
    """The archive's package of the transfers not blocked, written and checked before anything
    is removed; where it cannot be written, those transfers are blocked with the reason."""
    transfers = [i for i in leaving if i.action == "transfer" and i.id not in blocked]
    if not transfers:
        return None
    name = f"transfer-proposal-{proposal_id}-{cert_id[:12]}"
    try:
        return write_package(
            session, store, transfers, home / "transfers", name=name, proposal_id=proposal_id
        )
    except (TransferFailed, NotFound, OSError) as exc:
        for item in transfers:
            blocked[item.id] = f"transfer package not written: {exc}"
        return None


def _destroy_item(
    session: Session,
    item: DisposalItem,
    *,
    store: BlobStore,
    actor: str,
    cert_id: str,
    package: Package | None = None,
) -> DestructionRecord | None:
    document = session.get(Document, item.document_id)
    assert document is not None  # _recheck blocked missing documents
    identifiers = (document.source_system, document.source_document_id)
    approvals = _approvals(session, item)
    savepoint = session.begin_nested()
    try:
        removed = _remove(session, document, store)
    except PolicyViolation as exc:
        savepoint.rollback()
        item.status, item.detail = "blocked", f"the store refused: {exc}"
        return None
    savepoint.commit()
    # Told to the systems that subscribed, in the transaction that destroys (catalog/outbox.py).
    outbox.document_events(
        session,
        outbox.DOCUMENT_DISPOSED,
        [item.document_id],
        now=utcnow(),
        data={item.document_id: {"person_ids": removed["people"], "action": item.action}},
    )
    record = DestructionRecord(
        certificate_id=cert_id,
        document_id=item.document_id,
        source_system=identifiers[0],
        source_document_id=identifiers[1],
        sha256s=removed["sha256s"],
        blob_keys_deleted=removed["keys"],
        person_ids=removed["people"],
        record_class=item.record_class,
        rule_version=item.rule_version,
        retain_until=item.retain_until,
        approvals=approvals,
        destroyed_by=actor,
        destroyed_at=utcnow(),
        disposal_action=item.action,
        transfer_package=package.reference() if package else None,
    )
    session.add(record)
    if package is not None:
        item.status, item.detail = (
            "transferred",
            f"package {package.path.name}, certificate {cert_id}",
        )
    else:
        item.status, item.detail = "destroyed", f"certificate {cert_id}"
    return record


def _certify(
    session: Session,
    proposal_id: int,
    records: list[DestructionRecord],
    actor: str,
    cert_id: str,
    home: Path,
) -> Path:
    """Sign the certificate, keep it in the catalog and as a file under ESCR_HOME/certificates."""
    session.flush()
    head_hash, head_count = audit.head(session)
    body = {
        "certificate_id": cert_id,
        "proposal_id": proposal_id,
        "issued_at": utcnow().isoformat(),
        "executed_by": actor,
        # Anchors the audit chain: a later rewrite of the log cannot match this head.
        "audit_head": {"hash": head_hash, "count": head_count},
        "items": [
            {
                "document_id": r.document_id,
                "source_system": r.source_system,
                "source_document_id": r.source_document_id,
                "sha256s": r.sha256s,
                "blob_keys_deleted": r.blob_keys_deleted,
                "record_class": r.record_class,
                "rule_version": r.rule_version,
                "retain_until": r.retain_until.isoformat() if r.retain_until else None,
                "approvals": r.approvals,
                "destroyed_at": r.destroyed_at.isoformat(),
                "action": r.disposal_action,
                "transfer_package": r.transfer_package,
            }
            for r in records
        ],
    }
    certificate = certificates.sign(body, home / "keys")
    session.add(
        DestructionCertificate(
            id=cert_id,
            proposal_id=proposal_id,
            issued_at=utcnow(),
            body=certificates.canonical(body).decode(),
            signature=certificate["signature"],
            key_id=certificate["key_id"],
        )
    )
    return certificates.write_certificate(certificate, home / "certificates")
