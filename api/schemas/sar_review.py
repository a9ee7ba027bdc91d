"""Answers of the subject access review routes: exemptions, decisions on collated documents,
redactions and their sign-off, suggestions, the bundle and its releases."""

from __future__ import annotations

from pydantic import Field

from api.schemas import Answer


class ExemptionOut(Answer):
    code: str
    label: str
    second_signoff: bool = Field(description="a second IG officer must approve redactions")


class Exemptions(Answer):
    exemptions: list[ExemptionOut]


class ItemDecided(Answer):
    sar_id: int
    document_id: int
    status: str = Field(description="included or excluded")
    status_reason: str
    decided_by: str


class RedactionOut(Answer):
    id: int
    document_id: int
    term: str = Field(description="every occurrence of it is redacted; empty for a box")
    page: int | None
    box: list[float | None] | None = Field(description="x, y, w, h in points from the top left")
    kind: str = Field(description="person, name, address, postcode, phone, email, nhs or manual")
    code: str
    reason: str
    status: str = Field(description="suggested, accepted or rejected")
    made_by: str
    decided_by: str
    approved_by: str = Field(description="the second sign-off, where the code needs one")


class Redactions(Answer):
    redactions: list[RedactionOut]
    blockers: list[str] = Field(description="why the bundle cannot be built yet")


class Made(Answer):
    redactions: list[RedactionOut]


class Approved(Answer):
    approved: int


class Suggested(Answer):
    sar_id: int
    documents: int
    suggested: int
    by_kind: dict[str, int]
    staff_learned: int


class ReleaseOut(Answer):
    id: int
    sar_id: int
    released_at: str
    released_by: str
    pages: int
    documents: int
    zip_sha256: str
    pdf_sha256: str
    record_class: str


class Releases(Answer):
    releases: list[ReleaseOut]
    previous: ReleaseOut | None = Field(
        description="the last release of an earlier request on the same person"
    )


class Started(Answer):
    sar_id: int
    release_id: int
    from_sar_id: int
    released_at: str
    items_decided: int
    redactions_copied: int
    new_documents: list[int] = Field(description="included documents that release did not send")


class Built(Answer):
    ok: bool = Field(description="the release gate passed and the release was kept")
    release_id: int | None
    pdf: None = None
    zip: None = None
    pdf_sha256: str
    zip_sha256: str
    pages: int
    documents: int
    problems: list[str] = Field(description="what the gate found (never the redacted terms)")
    seconds: dict[str, float]
    rendered: int = Field(description="renditions made first for documents that had none")
