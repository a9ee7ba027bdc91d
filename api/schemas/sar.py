"""Answers of the subject access routes (records/sar.py, records/sar_collate.py)."""

from __future__ import annotations

from pydantic import Field

from api.schemas import Answer


class Requester(Answer):
    name: str
    relationship: str = Field(description="subject, parent, solicitor or other")
    identity_evidence: str
    authority_evidence: str


class Extension(Answer):
    recorded: str = Field(description="YYYY-MM-DD, within the first month")
    reason: str
    due: str | None


class Pause(Answer):
    start: str
    end: str | None = Field(description="none while the clock is stopped")
    reason_type: str = Field(description="identity, clarification, authority or other")
    reason: str
    by: str


class SarRequestOut(Answer):
    """A request and its clock."""

    id: int
    person_id: str
    received: str
    channel: str
    requester: Requester
    status: str = Field(description="open, paused, extended, closed or released")
    due: str = Field(description="YYYY-MM-DD: the working day the answer is due")
    statutory_due: str = Field(description="one calendar month, before extension and pauses")
    days_left: int
    overdue: bool
    extension: Extension | None
    pauses: list[Pause]
    hold_id: int | None = Field(description="the legal hold (reason type sar) on what is collated")
    items: dict[str, int] = Field(description="collated items by status")
    notes: str
    created_by: str
    created_at: str
    collated_at: str | None
    closed_at: str | None
    closed_by: str
    close_reason: str


class SarList(Answer):
    total: int
    requests: list[SarRequestOut]


class DueLists(Answer):
    today: str
    overdue: list[SarRequestOut]
    due_soon: list[SarRequestOut]
    paused: list[SarRequestOut] = Field(description="clock stopped: neither overdue nor due soon")


class Closed(SarRequestOut):
    reappraise: list[dict[str, str | int | None]] = Field(
        description="documents the released hold kept, for re-appraisal"
    )


class SarItemOut(Answer):
    document_id: int
    title: str
    date: str | None
    source_system: str
    doc_type: str
    pages: int
    how_linked: str = Field(
        description="crosswalk, probable, person, attachment, legacy_id, nhs or mention"
    )
    link_detail: str
    status: str = Field(description="included, candidate (a reviewer decides) or excluded")
    status_reason: str
    duplicate_of: int | None
    near_duplicate_group: int | None
    near_duplicate_score: float | None
    thread_key: str | None
    decided_by: str


class Collation(Answer):
    sar_id: int
    person_id: str
    documents: int
    included: int
    duplicates: int
    candidates: int
    near_duplicate_groups: int
    threads: int
    by_link: dict[str, int]
    items: list[SarItemOut]
