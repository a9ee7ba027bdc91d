"""Bodies and answers of the person-event and webhook routes (api/routes/cms_events.py)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Answer

PersonId = Field(min_length=1, max_length=100)
Reason = Field(min_length=1, max_length=2000, description="why, kept with the event")


class Strict(BaseModel):
    # An unknown field is a 422: a CMS that sends one learns it is not honoured.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MergeBody(Strict):
    from_person: str = Field(alias="from", min_length=1, max_length=100)
    into: str = Field(min_length=1, max_length=100)
    reason: str = Reason


class NewPerson(Strict):
    """The new person's facts where escr does not know them yet (unset: the source's)."""

    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    nhs_number: str = Field(default="", max_length=10)


class SplitBody(Strict):
    from_person: str = Field(alias="from", min_length=1, max_length=100)
    into: str = Field(min_length=1, max_length=100, description="the other (often new) person's ID")
    document_ids: list[int] = Field(
        default_factory=list,
        max_length=10_000,
        description="the documents that go to `into` (their attachments go with them)",
    )
    legacy_ids: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="crosswalk legacy IDs (SYSTEM:ID) that go to `into`, so later rounds "
        "link their documents there",
    )
    reason: str = Reason
    new_person: NewPerson | None = Field(
        default=None, description="create `into` with these facts where escr lacks them"
    )


class IdentifiersBody(Strict):
    person_id: str = PersonId
    new_person_id: str = Field(
        default="",
        max_length=100,
        description="the person's new ID: the record moves to it, old deep links follow",
    )
    nhs_number: str | None = Field(default=None, max_length=12)
    reason: str = Reason


class PersonEventUndo(Strict):
    reason: str = Reason


class RetentionCounts(Answer):
    open_ended = True
    __pydantic_extra__: dict[str, int] = Field(init=False)


class PersonEventDone(Answer):
    """What a person event (or its undo) did."""

    event_id: int
    kind: str = Field(description="merge, split or identifiers")
    from_person: str = Field(alias="from")
    into: str
    documents: list[int] = Field(description="documents whose links moved, with attachments")
    undone: bool
    reindexed: bool = Field(
        description="false: the index was unavailable; the documents wait for "
        "`escr reindex --pending`"
    )
    retention: RetentionCounts = Field(description="documents re-evaluated and unchanged")


class PersonEventRecord(Answer):
    event_id: int
    kind: str
    from_person: str = Field(alias="from")
    into: str
    reason: str
    actor: str
    on_behalf_of: str
    created_at: str
    documents: list[int]
    undone_at: str | None
    undone_by: str


class SubscribeBody(Strict):
    url: str = Field(min_length=1, max_length=2000, description="where events are POSTed")
    events: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="document.indexed, document.relinked, document.disposed; none: all",
    )
    secret: str = Field(
        default="",
        max_length=200,
        description="the HMAC key (at least 24 characters); none: escr makes one",
    )
    account: str = Field(
        default="",
        max_length=100,
        description="the service account the subscription is for (administrators only; a "
        "service account subscribes for itself)",
    )


class Subscription(Answer):
    id: int
    account: str
    url: str
    events: list[str]
    active: bool
    created_at: str


class NewSubscription(Subscription):
    secret: str = Field(description="the signing key: shown this once")


class Delivery(Answer):
    event_id: int
    state: str = Field(description="pending, delivered or failed (given up)")
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: str
    delivered_at: str | None


class Redelivered(Answer):
    subscription_id: int
    redelivering: int = Field(description="deliveries given up that are pending again")
