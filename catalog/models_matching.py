"""Person matching's rows: the evidence behind each exception's candidates, the reviewers'
resolutions of legacy IDs, and the confirmed pairs the matcher learns from
(workers/matching/, docs/decisions/0031).

`MatchEvidence` is one field's comparison, as the queue shows it (a bar per field):
{"field": "date_of_birth", "level": "day and month swapped", "weight": 6.2,
 "text": "07/17/2004", "person": "2004-07-17"}; weight is the log2 Bayes factor (Splink's
match weight of that field; negative is evidence against).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base, Person

# The misfiled check looks people up by the date of birth a text gives (workers/matching).
Index("ix_people_date_of_birth", Person.date_of_birth)


class MatchEvidence(TypedDict):
    field: str  # given_name | family_name | date_of_birth | nhs_number | postcode
    level: str  # the agreement level's label ("exact", "nickname or other spelling", ...)
    weight: float  # log2 Bayes factor of this field's level
    text: str  # what the document says ("" when it says nothing)
    person: str  # what the catalog says about the candidate


class ExceptionCandidate(Base):
    """One candidate person of an open exception (document_id, kind), ranked, with where it
    came from and its evidence. Rank 1 is the strongest; nothing is preselected."""

    __tablename__ = "exception_candidates"
    __table_args__ = (UniqueConstraint("document_id", "kind", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))  # the ExceptionItem's kind
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    # crosswalk | text_nhs | text_name_dob | probable: which the reviewer must tell apart
    source: Mapped[str] = mapped_column(String(30))
    source_detail: Mapped[str] = mapped_column(Text, default="")
    match_weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    match_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # list of MatchEvidence
    created_at: Mapped[datetime] = mapped_column(DateTime)


class LegacyIdResolution(Base):
    """A reviewer's answer to "who is legacy ID X?": later rounds link every document of that
    ID to the person, as if the crosswalk said so (with the reviewer named in the reason)."""

    __tablename__ = "legacy_id_resolutions"
    __table_args__ = (UniqueConstraint("system", "legacy_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(100))  # normalised as LegacyId.system
    legacy_id: Mapped[str] = mapped_column(String(100))  # normalised as LegacyId.legacy_id
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    decided_by: Mapped[str] = mapped_column(String(100))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))  # where it was decided
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MatchTrainingPair(Base):
    """A document's subject fields known to belong to a person (a crosswalk link the text did
    not contradict, or a reviewer's link): the matcher's m estimates are learned from these."""

    __tablename__ = "match_training_pairs"
    __table_args__ = (UniqueConstraint("document_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # crosswalk | reviewer
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the subject record compared
    created_at: Mapped[datetime] = mapped_column(DateTime)
