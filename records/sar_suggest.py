"""`escr sar suggest`: third-party information in a request's included documents, recorded as
suggested redactions for the reviewer to accept or reject (docs/decisions/0036). The bundle is
refused while any suggestion is undecided (records/sar_redact.blockers).

A separate step from collation, run after it (and again after a re-collation or a catalog
change): collation is about which documents, this is about what in them, and a reviewer can
re-run it without losing decisions. A term already redacted, suggested or rejected on a
document is not suggested again there, so a rejection sticks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models import DocumentLink, DocumentText, LegacyId, Person
from catalog.models_access import Team, User
from catalog.models_sar import SarRedaction
from core.clock import utcnow
from core.errors import Conflict
from domain.redaction import fold
from domain.redaction_suggest import (
    ROLE_WORDS,
    Context,
    OtherPerson,
    Subject,
    Suggestion,
    learn_staff,
    suggest,
)
from records.sar import get_request
from records.sar_redact import _code, exemptions, included_documents

DEFAULT_CODE = "Sch2 Pt3 third party"
_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _others(session: Session, subject_id: str, documents: Sequence[int]) -> list[OtherPerson]:
    """Every catalog person but the subject, those linked to the subject's documents marked."""
    linked: set[str] = set()
    for chunk in _chunks(list(documents)):
        linked.update(
            session.scalars(
                select(DocumentLink.person_id).where(DocumentLink.document_id.in_(chunk))
            )
        )
    ids: dict[str, list[str]] = {}
    for person_id, legacy in session.execute(select(LegacyId.person_id, LegacyId.legacy_id)):
        ids.setdefault(person_id, []).append(legacy)
    found = []
    rows = session.execute(
        select(Person.person_id, Person.given_name, Person.family_name, Person.nhs_number)
    )
    for person_id, given, family, nhs in rows:
        if person_id == subject_id:
            continue
        found.append(
            OtherPerson(
                person_id=person_id,
                given_name=given,
                family_name=family,
                identifiers=(person_id, *ids.get(person_id, ())),
                nhs_number=nhs or "",
                linked=person_id in linked,
            )
        )
    return found


def _subject(session: Session, person: Person) -> Subject:
    legacy = session.scalars(
        select(LegacyId.legacy_id).where(LegacyId.person_id == person.person_id)
    )
    extra = person.extra or {}
    details = [str(extra[k]) for k in ("address", "postcode", "phone", "email") if extra.get(k)]
    return Subject(
        given_name=person.given_name,
        family_name=person.family_name,
        identifiers=(person.person_id, *legacy),
        nhs_number=person.nhs_number or "",
        other_details=tuple(details),
    )


def build_context(
    session: Session,
    person: Person,
    documents: Sequence[int],
    *,
    council_domains: Sequence[str] = (),
    staff_names: Sequence[str] = (),
    role_words: Sequence[str] = (),
) -> Context:
    """The detector's context for one request: the subject, every other catalog person, the
    council's staff (users' display names and the configured list) and teams."""
    staff = [*staff_names, *(n for n in session.scalars(select(User.display_name)) if n)]
    return Context(
        subject=_subject(session, person),
        others=_others(session, person.person_id, documents),
        staff_names=staff,
        team_names=list(session.scalars(select(Team.name))),
        council_domains=council_domains,
        role_words=role_words or ROLE_WORDS,
    )


def _page_of(text: str, offset: int) -> tuple[int, int]:
    """The 1-based page (pages split by form feeds) and where that page starts."""
    return text.count("\f", 0, offset) + 1, text.rfind("\f", 0, offset) + 1


def run(
    session: Session,
    sar_id: int,
    *,
    actor: str,
    code: str = DEFAULT_CODE,
    council_domains: Sequence[str] = (),
    staff_names: Sequence[str] = (),
    role_words: Sequence[str] = (),
    exemptions_file: str = "",
) -> dict[str, Any]:
    """Suggest redactions on every included document; returns counts by kind."""
    request = get_request(session, sar_id)
    code = _code(code, exemptions(exemptions_file))
    documents = included_documents(session, sar_id)
    if not documents:
        raise Conflict(f"request {sar_id} has no included documents: collate it first")
    person = session.get(Person, request.person_id)
    assert person is not None
    context = build_context(
        session, person, documents, council_domains=council_domains,
        staff_names=staff_names, role_words=role_words,
    )  # fmt: skip
    learned = learn_staff((text for _, text in _texts(session, documents)), context)
    known: dict[int, set[str]] = {}
    for document_id, term in session.execute(
        select(SarRedaction.document_id, SarRedaction.term).where(SarRedaction.sar_id == sar_id)
    ):
        if term:
            known.setdefault(document_id, set()).add(fold(term).chars)
    now = utcnow()
    by_kind: dict[str, int] = {}
    made = 0
    for document_id, text in _texts(session, documents):
        seen = known.setdefault(document_id, set())
        for found in _distinct(suggest(text, context), seen):
            session.add(_row(sar_id, document_id, found, text, code, now))
            by_kind[found.kind] = by_kind.get(found.kind, 0) + 1
            made += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="sar_suggest",
        target_type="sar",
        target_id=str(sar_id),
        person_ids=[request.person_id],
        detail={"suggested": made, "by_kind": by_kind, "documents": len(documents)},
    )
    return {
        "sar_id": sar_id,
        "documents": len(documents),
        "suggested": made,
        "by_kind": by_kind,
        "staff_learned": len(learned),
    }


def _texts(session: Session, documents: Sequence[int]) -> Iterable[tuple[int, str]]:
    """Each document's text, a chunk of documents at a time."""
    for chunk in _chunks(documents):
        for document_id, text in session.execute(
            select(DocumentText.document_id, DocumentText.text).where(
                DocumentText.document_id.in_(chunk)
            )
        ):
            yield document_id, text or ""


def _distinct(found: list[Suggestion], seen: set[str]) -> list[Suggestion]:
    """One suggestion a term a document (the burn-in redacts every occurrence of it)."""
    kept = []
    for suggestion in found:
        folded = fold(suggestion.term).chars
        if len(folded) < 2 or folded in seen:
            continue
        seen.add(folded)
        kept.append(suggestion)
    return kept


def _row(
    sar_id: int, document_id: int, found: Suggestion, text: str, code: str, now: Any
) -> SarRedaction:
    term = " ".join(found.term.split())
    page, page_start = _page_of(text, found.start)
    return SarRedaction(
        sar_id=sar_id,
        document_id=document_id,
        page=page,  # the first occurrence, for the reviewer; the burn-in finds every one
        span_start=found.start - page_start,
        span_end=found.end - page_start,
        term=term,
        kind=found.kind,
        every_occurrence=True,
        code=code,
        reason=f"suggested: {found.detector}",
        status="suggested",
        made_by="escr",
        created_at=now,
    )
