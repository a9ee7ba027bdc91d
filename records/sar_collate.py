"""Collation of a subject access request: everything the catalog holds on the person, through
every identifier, each item saying how it was linked (issue 15; docs/decisions/0033).

Included without asking (the person's own record):
- documents linked to the person: by the crosswalk, the matcher (`probable`), a reviewer
  (`person`), or through the email or container they came in (`attachment`);
- documents linked to nobody that name one of the person's legacy IDs (`legacy_id`) or carry
  the person's NHS number in their text (`nhs`).
Offered for review, never added silently (`candidate`, how_linked `mention`): documents on
someone else that name one of those identifiers, or the person's name with their date of birth.

Then the same content (sha256) is shown once (the others `excluded`, `duplicate_of` the first),
documents whose pages are at least 90% the same text share a near-duplicate group, and emails
of one conversation share a thread key. A reviewer's decision on an item survives collating
again; everything else is recomputed from the catalog.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.db import IN_LIST_MAX
from catalog.models import Document, DocumentLink, DocumentText, LegacyId, Person
from catalog.models_matching import LegacyIdResolution
from catalog.models_sar import SarItem
from core.clock import utcnow
from domain.nhs import nhs_numbers_in_text
from domain.values import normalise_legacy_id
from records import sar_similar
from records.sar import HoldKeeper, get_request

# A document link's method -> how the item reached the person.
_LINK_METHOD = {"crosswalk": "crosswalk", "probable": "probable", "parent": "attachment"}
_EMAIL_MIMES = ("message/rfc822", "application/vnd.ms-outlook")
# "RE: FW: Fwd: AW: WG:" and "[External]"-style tags, repeated, before a subject.
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs)\s*(?:\[\d+\])?\s*:|\[[^\]]*\])\s*", re.I
)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_MONTHS = list(calendar.month_name)[1:]  # English: the locale is C in escr's processes


@dataclass
class _Found:
    how: str
    details: list[str] = field(default_factory=list)
    candidate: bool = False


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), IN_LIST_MAX):
        yield ids[start : start + IN_LIST_MAX]


def _legacy_ids(session: Session, person_id: str) -> set[tuple[str, str]]:
    """The person's legacy IDs: the crosswalk's and reviewers' resolutions of unknown ones."""
    found: set[tuple[str, str]] = set()
    for model in (LegacyId, LegacyIdResolution):
        query = select(model.system, model.legacy_id).where(model.person_id == person_id)
        found.update((system, legacy_id) for system, legacy_id in session.execute(query))
    return found


def _links_of(session: Session, ids: Sequence[int]) -> dict[int, set[str]]:
    people: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(ids)):
        query = select(DocumentLink.document_id, DocumentLink.person_id)
        for document_id, person_id in session.execute(
            query.where(DocumentLink.document_id.in_(chunk))
        ):
            people[document_id].add(person_id)
    return people


def nhs_spellings(nhs: str) -> list[str]:
    """How an NHS number is written in text: 9434765919, 943 476 5919, 943-476-5919."""
    return [nhs, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}", f"{nhs[:3]}-{nhs[3:6]}-{nhs[6:]}"]


def date_spellings(day: date) -> list[str]:
    """How a date of birth is written in case records (compared case-folded)."""
    d, m, y = day.day, day.month, day.year
    month = _MONTHS[m - 1]
    numeric = [
        f"{d:02d}/{m:02d}/{y}",
        f"{d}/{m}/{y}",
        f"{d:02d}-{m:02d}-{y}",
        f"{d:02d}.{m:02d}.{y}",
    ]
    words = [f"{d} {month} {y}", f"{d} {month[:3]} {y}", f"{d:02d} {month} {y}"]
    return [*numeric, day.isoformat(), *(w.casefold() for w in words)]


def _names_person(text: str, person: Person) -> bool:
    folded = " ".join(text.casefold().split())
    full = f"{person.given_name} {person.family_name}".casefold()
    if full not in folded or person.date_of_birth is None:
        return False
    return any(s in folded for s in date_spellings(person.date_of_birth))


def _texts_like(session: Session, patterns: Sequence[str]) -> list[tuple[int, str]]:
    """Documents whose text holds any of the patterns (case-insensitive), with the text."""
    if not patterns:
        return []
    query = select(DocumentText.document_id, DocumentText.text).where(
        or_(*(DocumentText.text.ilike(f"%{p}%") for p in patterns))
    )
    return list(session.execute(query))


def find_items(session: Session, person: Person) -> dict[int, _Found]:
    """Document ID -> how it reached the person (or that it is only a candidate)."""
    found: dict[int, _Found] = {}

    def add(document_id: int, how: str, detail: str, *, candidate: bool = False) -> None:
        item = found.get(document_id)
        if item is None:
            found[document_id] = _Found(how, [detail], candidate)
            return
        if detail not in item.details:
            item.details.append(detail)
        if item.candidate and not candidate:  # an identifier of their own outranks a mention
            item.how, item.candidate = how, False

    query = select(DocumentLink.document_id, DocumentLink.method, DocumentLink.reason)
    for document_id, method, reason in session.execute(
        query.where(DocumentLink.person_id == person.person_id).order_by(DocumentLink.document_id)
    ):
        add(document_id, _LINK_METHOD.get(method, "person"), f"{method}: {reason}")
    linked_here = set(found)

    # Legacy IDs: the manifest's cell, as the linker reads it (workers/link.py).
    legacy = _legacy_ids(session, person.person_id)
    by_system: dict[str, set[str]] = defaultdict(set)
    for system, legacy_id in legacy:
        by_system[system].add(legacy_id)
    for system, wanted in sorted(by_system.items()):
        clauses = [Document.legacy_person_ids.ilike(f"%{i}%") for i in sorted(wanted)]
        query = select(Document.id, Document.source_system, Document.legacy_person_ids)
        for document_id, source, cell in session.execute(query.where(or_(*clauses))):
            if source.strip().upper() != system or document_id in linked_here:
                continue
            named = {normalise_legacy_id(p) for p in cell.split(";") if p.strip()} & wanted
            for legacy_id in sorted(named):
                add(document_id, "legacy_id", f"names legacy ID {system}:{legacy_id}")

    if person.nhs_number:
        for document_id, text in _texts_like(session, nhs_spellings(person.nhs_number)):
            if person.nhs_number in nhs_numbers_in_text(text):
                add(document_id, "nhs", f"its text carries NHS number {person.nhs_number}")

    if person.given_name and person.family_name and person.date_of_birth:
        name = f"{person.given_name} {person.family_name}"
        for document_id, text in _texts_like(session, [person.family_name]):
            if document_id not in found and _names_person(text, person):
                add(
                    document_id,
                    "mention",
                    f"names {name} with their date of birth {person.date_of_birth}",
                    candidate=True,
                )

    # A document on someone else is only a candidate, whatever identifier it carries.
    others = _links_of(session, [i for i in found if i not in linked_here])
    for document_id, people in others.items():
        item = found[document_id]
        if people - {person.person_id}:
            item.candidate, item.how = True, "mention"
            item.details.append(f"on {', '.join(sorted(people))}")
    return found


def _live(session: Session, ids: Sequence[int]) -> dict[int, Document]:
    out: dict[int, Document] = {}
    for chunk in _chunks(sorted(ids)):
        query = select(Document).where(Document.id.in_(chunk), Document.state != "destroyed")
        out.update((d.id, d) for d in session.scalars(query))
    return out


def _texts(session: Session, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        query = select(DocumentText.document_id, DocumentText.text)
        out.update(session.execute(query.where(DocumentText.document_id.in_(chunk))).all())
    return out


def normalise_subject(subject: str) -> str:
    previous = None
    subject = subject.strip()
    while previous != subject:
        previous, subject = subject, _SUBJECT_PREFIX.sub("", subject, count=1)
    return " ".join(subject.casefold().split())


def thread_keys(emails: Sequence[Document]) -> dict[int, str]:
    """Document ID -> its conversation's key: messages joined by Message-ID, In-Reply-To and
    References where the mail kept them, and by the subject without RE:/FW: prefixes."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    nodes: dict[int, str] = {}
    subjects: dict[int, str] = {}
    for doc in emails:
        thread = doc.extra.get("email_thread") or {}
        ids = _MESSAGE_ID.findall(
            " ".join(str(thread.get(k, "")) for k in ("message_id", "in_reply_to", "references"))
        )
        subject = normalise_subject(doc.title)
        subjects[doc.id] = subject
        node = f"doc:{doc.id}"
        nodes[doc.id] = node
        for message_id in ids:
            union(node, f"id:{message_id}")
        if subject:
            union(node, f"subject:{subject}")
    # The key is the subject of the conversation's earliest message (stable across collations).
    first_of: dict[str, Document] = {}
    for doc in sorted(emails, key=lambda d: (d.document_date or date.max, d.id)):
        first_of.setdefault(find(nodes[doc.id]), doc)
    return {
        doc.id: (subjects[first.id] or f"message {first.id}")[:280]
        for doc in emails
        if (first := first_of[find(nodes[doc.id])])
    }


def collate(session: Session, sar_id: int, *, actor: str, holds: HoldKeeper) -> dict[str, Any]:
    """(Re)collate a request; returns the counts (the items are in sar_items)."""
    request = get_request(session, sar_id)
    person = session.get(Person, request.person_id)
    assert person is not None  # a request's person is a foreign key
    found = find_items(session, person)
    documents = _live(session, list(found))
    decided = {
        item.document_id: item
        for item in session.scalars(
            select(SarItem).where(SarItem.sar_id == sar_id, SarItem.decided_by != "")
        )
    }
    session.execute(delete(SarItem).where(SarItem.sar_id == sar_id, SarItem.decided_by == ""))
    order = sorted(documents.values(), key=lambda d: (d.document_date or date.max, d.id))
    included = [d for d in order if not found[d.id].candidate]
    first_with: dict[str, int] = {}
    duplicate_of: dict[int, int] = {}
    for doc in included:
        if doc.sha256 is None:
            continue
        first = first_with.setdefault(doc.sha256, doc.id)
        if first != doc.id:
            duplicate_of[doc.id] = first
    distinct = [d for d in included if d.id not in duplicate_of]
    groups = sar_similar.near_duplicate_groups(_texts(session, [d.id for d in distinct]))
    threads = thread_keys([d for d in distinct if d.mime in _EMAIL_MIMES])
    now = utcnow()
    for doc in order:
        item = found[doc.id]
        status, why = "included", ""
        if item.candidate:
            status, why = "candidate", "mentions the person: a reviewer decides"
        elif doc.id in duplicate_of:
            status, why = "excluded", f"the same content as document {duplicate_of[doc.id]}"
        group = groups.get(doc.id)
        if doc.id in decided:
            kept = decided[doc.id]
            kept.how_linked, kept.link_detail = item.how, "; ".join(item.details)
            kept.near_duplicate_group = group[0] if group else None
            kept.near_duplicate_score = group[1] if group else None
            kept.thread_key = threads.get(doc.id)
            continue
        session.add(
            SarItem(
                sar_id=sar_id,
                document_id=doc.id,
                how_linked=item.how,
                link_detail="; ".join(item.details)[:4000],
                status=status,
                status_reason=why,
                duplicate_of=duplicate_of.get(doc.id),
                near_duplicate_group=group[0] if group else None,
                near_duplicate_score=group[1] if group else None,
                thread_key=threads.get(doc.id),
                decided_by="",
                created_at=now,
            )
        )
    request.collated_at = now
    session.flush()
    holds.sync(session, [d.id for d in order])
    counts: dict[str, Any] = {
        "sar_id": sar_id,
        "person_id": person.person_id,
        "documents": len(order),
        "included": sum(1 for d in order if not found[d.id].candidate and d.id not in duplicate_of),
        "duplicates": len(duplicate_of),
        "candidates": sum(1 for d in order if found[d.id].candidate),
        "near_duplicate_groups": len({g for g, _ in groups.values()}),
        "threads": len(set(threads.values())),
        "by_link": _by_link(found, order),
    }
    audit.record(
        session,
        actor=actor,
        action="sar_collate",
        target_type="sar",
        target_id=str(sar_id),
        person_ids=[person.person_id],
        detail=counts,
    )
    return counts


def _by_link(found: dict[int, _Found], order: Sequence[Document]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for doc in order:
        counts[found[doc.id].how] += 1
    return dict(sorted(counts.items()))


def items_json(session: Session, sar_id: int) -> list[dict[str, Any]]:
    """The collated items with what a reviewer needs to see of each document."""
    rows = session.execute(
        select(SarItem, Document)
        .join(Document, Document.id == SarItem.document_id)
        .where(SarItem.sar_id == sar_id)
        .order_by(SarItem.status.desc(), Document.document_date, Document.id)
    )
    return [
        {
            "document_id": doc.id,
            "title": doc.title or doc.original_name,
            "date": doc.document_date.isoformat() if doc.document_date else None,
            "source_system": doc.source_system,
            "doc_type": doc.doc_type,
            "pages": doc.pages,
            "how_linked": item.how_linked,
            "link_detail": item.link_detail,
            "status": item.status,
            "status_reason": item.status_reason,
            "duplicate_of": item.duplicate_of,
            "near_duplicate_group": item.near_duplicate_group,
            "near_duplicate_score": item.near_duplicate_score,
            "thread_key": item.thread_key,
            "decided_by": item.decided_by,
        }
        for item, doc in rows
    ]
