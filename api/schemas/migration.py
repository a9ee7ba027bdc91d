"""Answers of the migration team's routes (records/consoles.py, records/decisions.py,
catalog/reconcile.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Answer


class BatchProgress(Answer):
    batch: str
    status: str = Field(description="loading or complete")
    rows: int = Field(description="rows in the manifest")
    done: int = Field(description="rows in a terminal state")
    open_exceptions: int = Field(
        description="open exceptions of the documents this batch last stored"
    )
    started_at: str = Field(description="ISO 8601, UTC")
    finished_at: str = Field(description='ISO 8601, UTC; "" while loading')


class Reconciliation(Answer):
    """A batch's counts, queried from the ledger; `unaccounted` must be 0."""

    batch: str
    status: str = Field(description="loading (also while anything is unaccounted) or complete")
    rows: int = Field(description="rows registered")
    manifest_rows: int
    indexed: int
    quarantined: dict[str, int] = Field(description="reason -> rows")
    failed: int
    failed_reasons: dict[str, int] = Field(description="reason -> rows")
    duplicates: int = Field(description="rows whose file has the bytes of an earlier row's")
    duplicate_rows: int
    linked: int
    unlinked: int
    attachments: dict[str, int] = Field(description="state -> attachments")
    attachments_pending: int
    changes: dict[str, int] = Field(description="change since the last load -> rows")
    states: dict[str, int] = Field(description="row state -> rows")
    unaccounted: int = Field(description="rows and attachments not in a terminal state")
    open_exceptions: int = Field(
        description="open exceptions of the documents this batch last stored"
    )
    started_at: str = Field(description="ISO 8601, UTC")
    finished_at: str = Field(description='ISO 8601, UTC; "" while loading')


class Candidate(Answer):
    person_id: str
    name: str
    date_of_birth: str | None = Field(description="YYYY-MM-DD, where known")
    source: str = Field(description="crosswalk, text_nhs, text_name_dob or probable")
    source_label: str = Field(description="where the candidate came from, for people")
    source_detail: str
    match_probability: float | None = Field(description="the matcher's, where it scored one")
    match_weight: float | None = Field(description="log2 Bayes factor, where scored")
    evidence: list[dict[str, Any]] = Field(
        description="each field's comparison: field, level, weight, text, person"
    )
    name_in_text: str = Field(description="the name the document's text gives, where found")


class ExceptionEntry(Answer):
    """An open exception and its document."""

    exception_id: int
    kind: str = Field(description="unlinked, ambiguous, conflicting, unreadable, ...")
    kind_label: str = Field(description="the kind as it reads for people")
    detail: str
    candidates: list[Any] = Field(description="person IDs the document may belong to")
    candidate_people: list[Candidate]
    document_id: int
    source_system: str
    source_document_id: str
    title: str
    doc_type: str
    type_confidence: float
    legacy_person_ids: str
    state: str
    batch: str = Field(description="the load round that last stored the document")
    same_legacy_id_open: int = Field(
        description="open documents naming the same one legacy ID (a bulk link takes them all)"
    )
    created_at: str = Field(description="when the exception was opened, ISO 8601 UTC")


class BulkLinked(Answer):
    legacy_id: str = Field(description="SYSTEM:ID")
    person_id: str
    documents: list[int]
    resolved: int = Field(description="exceptions closed")
    remembered: bool = Field(description="whether later rounds will link the ID's documents")


class Undone(Answer):
    exception_id: int
    document_id: int
    unlinked_from: str = Field(description='the person the document was taken off ("" if none)')
    reopened: int = Field(description="exceptions opened again")


class Linked(Answer):
    document_id: int
    person_id: str
    resolved: int = Field(description="exceptions of the document closed")


class ExceptionClosed(Answer):
    exception_id: int
    status: str


class TypeConfirmed(Answer):
    document_id: int
    doc_type: str
