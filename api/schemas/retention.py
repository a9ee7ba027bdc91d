"""Answers of the retention, disposal, hold and audit routes (retention/, catalog/audit.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Answer, Counts


class Evaluation(Counts):
    """Documents by status after the evaluation, and how many changed or locks moved
    (evaluated, unchanged, due, scheduled, retained, retention_set, ...)."""

    rule_version: str


class Sweep(Counts):
    """The sweep's evaluation counts, and what it proposed."""

    proposal_id: int | None = Field(description="the new proposal; none where nothing was due")
    proposed: int
    held: int = Field(description="due but kept by a legal hold")


class Forecast(Answer):
    """What would be due on a day: a report that decides nothing."""

    as_of: str = Field(description="YYYY-MM-DD")
    rule_version: str
    statuses: dict[str, int] = Field(description="due, scheduled, retained -> documents")
    due: int
    held: int
    due_not_held: int


class DriftEntry(Answer):
    sha256: str
    key: str
    document_ids: list[int]
    expected_retain_until: str | None
    expected_legal_hold: bool
    hold_ids: list[int]
    store_retain_until: str | None
    store_legal_hold: bool | None = Field(description="none where the blob is missing")
    problems: list[str]


class Drift(Answer):
    """Blobs whose store locks differ from the catalog's decisions and holds."""

    enforced: bool = Field(description="false where the store has no locks (nothing checked)")
    checked: int
    drift: list[DriftEntry]


class ProposalSummary(Answer):
    proposal_id: int
    proposed_by: str
    status: str = Field(description="open or executed")
    as_of: str = Field(description="YYYY-MM-DD: the day it was proposed as of")
    rule_version: str


class Review(Answer):
    actor: str
    decision: str = Field(description="approve or reject")
    justification: str


class ProposalItem(Answer):
    item_id: int
    document_id: int
    record_class: str
    retain_until: str | None
    children: bool = Field(description="a child's record: two approvers needed")
    approvers_needed: int
    action: str = Field(description="destroy, extend, reclassify or transfer")
    value: str = Field(description="extend's new date or reclassify's class")
    status: str = Field(description="proposed, approved, rejected, executed, ...")
    detail: str
    reviews: list[Review]


class Proposal(ProposalSummary):
    """A proposal with its items and every review."""

    created_at: str = Field(description="ISO 8601, UTC")
    items: list[ProposalItem]


class ReviewCounts(Answer):
    """Items this review decided, by where they now stand."""

    approved: int
    awaiting_second: int = Field(description="approved once; a child's record needs a second")
    rejected: int


class Execution(Counts):
    """What the execution did, with item counts by status."""

    certificate_id: str | None = Field(description="the destruction certificate issued")
    transfer_package: str | None = Field(description="the archive's transfer package, if any")


class Certificate(Answer):
    """A destruction certificate as issued, signed by the service."""

    algorithm: str
    key_id: str
    body: dict[str, Any] = Field(description="the signed statement: its items and their hashes")
    signature: str


class Verification(Answer):
    verified: bool
    problems: list[str] = Field(description="a bad signature, or anything of an item still left")


class Hold(Answer):
    hold_id: int
    name: str
    reason_type: str
    authority: str
    owner: str
    criteria: dict[str, Any] = Field(description="what the hold keeps (classes, people, ...)")
    created_by: str
    created_at: str = Field(description="ISO 8601, UTC")
    released_at: str | None
    released_by: str
    release_reason: str


class NewHold(Hold):
    matched_now: int = Field(description="documents the hold keeps today")


class Reappraisal(Answer):
    document_id: int
    status: str = Field(description="its retention status, or unappraised")
    retain_until: str | None
    reason: str


class Released(Answer):
    """Nothing is destroyed by a release: these documents, no other hold keeps, are to be
    re-appraised."""

    hold_id: int
    reappraise: list[Reappraisal]


class AuditVerification(Answer):
    intact: bool
    events: int
    head: str = Field(description="the newest event's hash")
    checkpoints: int = Field(description="signed checkpoints checked, kept outside the database")
    problems: list[str]


class AuditEntry(Answer):
    event_id: int
    at: str = Field(description="ISO 8601, UTC")
    actor: str
    action: str
    target: str = Field(description='"type:id"')
    on_behalf_of: str
    why: str
