"""Answers of the routes a case management system calls to store documents (issue 16)."""

from __future__ import annotations

from pydantic import Field

from api.schemas import Answer


class UploadAccepted(Answer):
    """A document accepted for the pipeline: its ID now, its progress at `status_url`."""

    id: int = Field(description="the document's ID (the same for a retry with the same key)")
    status_url: str = Field(description="where to follow it until it is searchable")
    state: str = Field(
        description="pending, stored, extracted, pending_index, then indexed "
        "(or quarantined / failed with a reason)"
    )
    replayed: bool = Field(
        description="true when the Idempotency-Key was seen before: nothing new was stored"
    )


class UploadStatus(Answer):
    """Where a stored document is on its way through the pipeline."""

    id: int
    state: str = Field(description="the document's state; `indexed` means searchable")
    reason: str | None = Field(description="why it ended quarantined or failed, or a note")
    detail: str
    searchable: bool
    version: int = Field(description="its content's version (1 for the first upload)")
    doc_type: str = Field(description="its type, once classified")
    person_ids: list[str]
    document_url: str = Field(description="its metadata (GET)")


class MetadataCorrected(Answer):
    """What a PATCH changed: the metadata version made, or the current one where nothing
    differed."""

    document_id: int
    metadata_version: int
    changed: list[str]
