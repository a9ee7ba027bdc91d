"""A reviewer's side of a subject access request beyond redaction: deciding the candidates
collation offered (included only by a person's decision), reading one document with its
redactions for review, and starting a later request from the same person's last release
(issue 15; docs/decisions/0040).

Every read and change is audited with the person concerned, as records/sar.py does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import access as access_rows
from catalog import audit
from catalog.models import Document, DocumentLink, DocumentText, Person
from catalog.models_renditions import Rendition
from catalog.models_sar import OPEN_STATUSES, SarItem, SarRedaction, SarRelease, SarRequest
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from domain.ocr import pages_to_review
from domain.redaction import find_terms
from records import reads, sar_clock
from records.access import Caller, visible_restrictions
from records.sar import audit_read, get_request, pauses_of, request_json
from records.sar_redact import REASON_MAX, exemptions, needs_signoff, redaction_json

ITEM_DECISIONS = {"include": "included", "exclude": "excluded"}


def _running(request: SarRequest) -> None:
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"request {request.id} is {request.status}: nothing more can be decided")


def _item(session: Session, sar_id: int, document_id: int) -> SarItem:
    item = session.scalar(
        select(SarItem).where(SarItem.sar_id == sar_id, SarItem.document_id == document_id)
    )
    if item is None:
        raise NotFound(f"document {document_id} is not in request {sar_id}")
    return item


def rendition_for_review(
    session: Session, caller: Caller, sar_id: int, document_id: int, view_id: int | None
) -> tuple[Document, Rendition]:
    """The rendition of a document in this request, for its reviewer's area picker. It is
    reached through the request, not a person's record: a candidate collated because its text
    carries the subject's NHS number may be on no one's record, which the viewer's check
    refuses to anyone without `include_unlinked`. The face has checked the IG role and the
    grants the document's class needs (check_granted); the read is audited on the subject and
    whoever the document is linked to, as the review page's view is."""
    request = get_request(session, sar_id)
    _item(session, sar_id, document_id)
    linked = set(
        session.scalars(
            select(DocumentLink.person_id).where(DocumentLink.document_id == document_id)
        )
    )
    return reads.rendition_read(
        session,
        caller,
        document_id,
        sorted(linked | {request.person_id}),
        view_id=view_id,
        detail={"sar": sar_id, "purpose": "subject access redaction review"},
    )


def decide_item(
    session: Session, sar_id: int, document_id: int, *, actor: str, decision: str, reason: str
) -> SarItem:
    """Include or exclude a collated document, with a reason. A candidate (a document on
    someone else that mentions the person) reaches the bundle only this way; the decision
    survives collating again (records/sar_collate.py keeps decided items)."""
    request = get_request(session, sar_id)
    _running(request)
    if decision not in ITEM_DECISIONS:
        raise InvalidInput("a decision on a document is include or exclude")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the document is included or excluded")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"a reason is at most {REASON_MAX} characters")
    item = _item(session, sar_id, document_id)
    item.status, item.status_reason = ITEM_DECISIONS[decision], reason
    item.decided_by, item.decided_at = actor, utcnow()
    audit_read(
        session, request, actor, f"sar_item_{decision}",
        document=document_id, how_linked=item.how_linked, reason=reason,
    )  # fmt: skip
    return item


def _segments(text: str, rows: list[SarRedaction]) -> list[dict[str, Any]]:
    """The text cut into plain runs and marked runs (each with the redactions covering it),
    for a page that highlights every occurrence of every term without writing any HTML."""
    by_term: dict[str, list[int]] = {}
    for row in rows:
        if row.term and row.status != "rejected":
            by_term.setdefault(row.term, []).append(row.id)
    hits = find_terms(text, list(by_term))
    segments: list[dict[str, Any]] = []
    at = 0
    for hit in hits:
        if hit.start < at:  # overlapping hits: the first one shown wins
            continue
        if hit.start > at:
            segments.append({"text": text[at : hit.start], "ids": []})
        segments.append({"text": text[hit.start : hit.end], "ids": by_term[hit.term]})
        at = hit.end
    if at < len(text):
        segments.append({"text": text[at:], "ids": []})
    return segments


def document_for_review(
    session: Session, sar_id: int, document_id: int, *, actor: str, exemptions_file: str = ""
) -> dict[str, Any]:
    """One collated document as its reviewer sees it: metadata, text with every occurrence of
    each term marked, its redactions (how often each term occurs, who must still sign off)."""
    request = get_request(session, sar_id)
    item = _item(session, sar_id, document_id)
    document = session.get(Document, document_id)
    assert document is not None  # an item's document is a foreign key
    text = session.scalar(select(DocumentText.text).where(DocumentText.document_id == document_id))
    rows = list(
        session.scalars(
            select(SarRedaction)
            .where(SarRedaction.sar_id == sar_id, SarRedaction.document_id == document_id)
            .order_by(SarRedaction.status.desc(), SarRedaction.id)
        )
    )
    codes = exemptions(exemptions_file)
    folded_text = text or ""
    redactions = []
    for row in rows:
        shown = redaction_json(row)
        shown["occurrences"] = len(find_terms(folded_text, [row.term])) if row.term else None
        shown["needs_signoff"] = needs_signoff(row, codes) and not row.approved_by
        redactions.append(shown)
    # One look, one event (decision 0035): a `view` of the document, which the page's fetch of
    # its pages names (?view=) instead of writing an event of its own. The people are the
    # subject and whoever the document is linked to: "who looked at my record" shows it.
    linked = set(
        session.scalars(
            select(DocumentLink.person_id).where(DocumentLink.document_id == document_id)
        )
    )
    view = audit.record(
        session,
        actor=actor,
        action="view",
        target_type="document",
        target_id=str(document_id),
        person_ids=sorted(linked | {request.person_id}),
        detail={"sar": sar_id, "purpose": "subject access redaction review"},
    )
    session.flush()
    return {
        "view_id": view.id,
        "sar_id": sar_id,
        "document_id": document_id,
        "title": document.title or document.original_name,
        "date": document.document_date.isoformat() if document.document_date else None,
        "doc_type": document.doc_type,
        "source_system": document.source_system,
        "pages": document.pages,
        # Pages OCR read too poorly to trust: a name there may be found by no one but a person
        # looking (the bundle stops on one read at loading but not on the image: decision 0048).
        "pages_to_review": pages_to_review(document.ocr_page_confidence),
        "item_status": item.status,
        "how_linked": item.how_linked,
        "link_detail": item.link_detail,
        "text": folded_text,
        "segments": _segments(folded_text, rows),
        "redactions": redactions,
    }


def last_release(session: Session, sar_id: int) -> SarRelease | None:
    """The latest release of an earlier request on the same person, if any."""
    request = get_request(session, sar_id)
    return session.scalar(
        select(SarRelease)
        .join(SarRequest, SarRequest.id == SarRelease.sar_id)
        .where(SarRequest.person_id == request.person_id, SarRequest.id != sar_id)
        .order_by(SarRelease.released_at.desc(), SarRelease.id.desc())
        .limit(1)
    )


def released_documents(session: Session, release: SarRelease) -> set[int]:
    """The documents that release sent (its request's included items)."""
    return set(
        session.scalars(
            select(SarItem.document_id).where(
                SarItem.sar_id == release.sar_id, SarItem.status == "included"
            )
        )
    )


def start_from_last_release(session: Session, sar_id: int, *, actor: str) -> dict[str, Any]:
    """Reuse the last release's decisions on this request: candidates decided then are decided
    the same way now, and every redaction decided then (accepted or rejected, term or box) on a
    document collated again is copied, decided by `actor` with the earlier reason quoted. A
    copied redaction whose code needs a second sign-off needs it again: a sign-off is a person's
    judgement on this release, not a property of the term. Documents not in that release are
    reported as new. Run after collation; suggestions made later skip the copied terms."""
    request = get_request(session, sar_id)
    _running(request)
    release = last_release(session, sar_id)
    if release is None:
        raise NotFound(f"no earlier release for person {request.person_id}")
    if request.collated_at is None:
        raise Conflict(f"request {sar_id} is not collated yet: collate it first")
    items = {
        i.document_id: i for i in session.scalars(select(SarItem).where(SarItem.sar_id == sar_id))
    }
    earlier = {
        i.document_id: i
        for i in session.scalars(
            select(SarItem).where(SarItem.sar_id == release.sar_id, SarItem.decided_by != "")
        )
    }
    now = utcnow()
    decided_items = 0
    for document_id, before in earlier.items():
        item = items.get(document_id)
        if item is None or item.decided_by:
            continue
        item.status = before.status
        item.status_reason = _quoted(release, before.decided_by, before.status_reason)
        item.decided_by, item.decided_at = actor, now
        decided_items += 1
    have = {
        (r.document_id, r.term, r.page, r.box_x, r.box_y, r.box_w, r.box_h)
        for r in session.scalars(select(SarRedaction).where(SarRedaction.sar_id == sar_id))
    }
    copied = 0
    for row in session.scalars(
        select(SarRedaction)
        .where(SarRedaction.sar_id == release.sar_id, SarRedaction.status != "suggested")
        .order_by(SarRedaction.id)
    ):
        key = (row.document_id, row.term, row.page, row.box_x, row.box_y, row.box_w, row.box_h)
        if row.document_id not in items or key in have:
            continue
        have.add(key)
        session.add(
            SarRedaction(
                sar_id=sar_id, document_id=row.document_id, page=row.page,
                span_start=row.span_start, span_end=row.span_end, box_x=row.box_x,
                box_y=row.box_y, box_w=row.box_w, box_h=row.box_h, term=row.term,
                kind=row.kind, every_occurrence=row.every_occurrence, code=row.code,
                reason=_quoted(release, row.decided_by, row.reason), status=row.status,
                made_by=actor, decided_by=actor, approved_by="", created_at=now, decided_at=now,
            )
        )  # fmt: skip
        copied += 1
    released = released_documents(session, release)
    new = sorted(d for d, i in items.items() if i.status == "included" and d not in released)
    request.previous_release_id = release.id
    session.flush()
    counts = {
        "sar_id": sar_id,
        "release_id": release.id,
        "from_sar_id": release.sar_id,
        "released_at": release.released_at.isoformat(),
        "items_decided": decided_items,
        "redactions_copied": copied,
        "new_documents": new,
    }
    audit_read(session, request, actor, "sar_start_from_release", **counts)
    return counts


def _quoted(release: SarRelease, by: str, reason: str) -> str:
    prefix = f"as in release {release.id} (request {release.sar_id}, decided by {by}): "
    return (prefix + reason)[:REASON_MAX]


def releases_of(session: Session, sar_id: int) -> list[SarRelease]:
    return list(
        session.scalars(
            select(SarRelease).where(SarRelease.sar_id == sar_id).order_by(SarRelease.id)
        )
    )


def release_json(row: SarRelease) -> dict[str, Any]:
    return {
        "id": row.id,
        "sar_id": row.sar_id,
        "released_at": row.released_at.isoformat(),
        "released_by": row.released_by,
        "pages": row.pages,
        "documents": row.documents,
        "zip_sha256": row.bundle_sha256,
        "pdf_sha256": row.pdf_sha256,
        "record_class": row.record_class,
    }


BUNDLE_FILES = {"bundle.pdf": "application/pdf", "bundle.zip": "application/zip"}


def release_file(
    session: Session, sar_id: int, release_id: int, name: str, *, actor: str
) -> tuple[str, str]:
    """The SHA-256 (the blob) and type of a released bundle's file, its download audited."""
    request = get_request(session, sar_id)
    row = session.get(SarRelease, release_id)
    if row is None or row.sar_id != sar_id:
        raise NotFound(f"release {release_id} is not in request {sar_id}")
    if name not in BUNDLE_FILES:
        raise NotFound(f"a release holds {', '.join(BUNDLE_FILES)}, not {name[:40]!r}")
    sha = row.pdf_sha256 if name == "bundle.pdf" else row.bundle_sha256
    audit_read(session, request, actor, "sar_release_download", release=row.id, file=name)
    return sha, BUNDLE_FILES[name]


def workbench_lists(
    session: Session, *, actor: str, today: date, within_days: int, closed_shown: int = 20
) -> dict[str, Any]:
    """The requests list of the workbench, audited once: running requests overdue, due soon
    (today to today + `within_days`), paused (clock stopped: in neither) and due later, and the
    latest closed ones; each as request_json with the person's name."""
    running = list(
        session.scalars(
            select(SarRequest)
            .where(SarRequest.status.in_(OPEN_STATUSES))
            .order_by(SarRequest.due, SarRequest.id)
        )
    )
    closed = list(
        session.scalars(
            select(SarRequest)
            .where(SarRequest.status.not_in(OPEN_STATUSES))
            .order_by(SarRequest.closed_at.desc(), SarRequest.id.desc())
            .limit(closed_shown)
        )
    )
    soon_until = today + timedelta(days=within_days)
    lists: dict[str, list[SarRequest]] = {"overdue": [], "due_soon": [], "paused": [], "later": []}
    for r in running:
        if r.status == "paused":
            lists["paused"].append(r)
        elif r.due < today:
            lists["overdue"].append(r)
        elif r.due <= soon_until:
            lists["due_soon"].append(r)
        else:
            lists["later"].append(r)
    lists["closed"] = closed
    people = {r.person_id for r in running + closed}
    names = person_names(session, people)
    audit.record(
        session,
        actor=actor,
        action="sar_list",
        target_type="sar",
        person_ids=sorted(people),
        detail={name: len(rows) for name, rows in lists.items()},
    )
    return {
        name: [
            {**request_json(session, r, today), "name": names.get(r.person_id, "")} for r in rows
        ]
        for name, rows in lists.items()
    }


def person_names(session: Session, person_ids: set[str]) -> dict[str, str]:
    if not person_ids:
        return {}
    rows = session.execute(
        select(Person.person_id, Person.given_name, Person.family_name).where(
            Person.person_id.in_(sorted(person_ids))
        )
    )
    return {pid: f"{given} {family}".strip() for pid, given, family in rows}


def extension_deadline(
    session: Session, request: SarRequest, today: date, closures: Iterable[date] = ()
) -> date:
    """The last day an extension may be recorded: the first month's due date, moved by the
    days paused so far (records/sar_clock.check_extension's rule, shown before it refuses)."""
    paused = sar_clock.paused_days(
        ((p.start, p.end) for p in pauses_of(session, request.id)), today
    )
    return sar_clock.due_date(request.received, paused=paused, closures=closures)


def ungranted(session: Session, caller: Caller, document_ids: Sequence[int]) -> dict[int, str]:
    """The documents whose restricted class (adoption, staff, sensitive; their family's
    included) the officer holds no grant for, with the classes missing. Only the classes: a
    request's documents are the IG officer's to review wherever they are linked (a candidate
    or a document found by its NHS number is often on nobody's record)."""
    if not document_ids:
        return {}
    found = list(session.scalars(select(Document).where(Document.id.in_(list(document_ids)))))
    missing = {}
    for document_id, classes in access_rows.restrictions_for(session, found).items():
        if not visible_restrictions(caller, classes):
            missing[document_id] = ", ".join(sorted(set(classes) - caller.grants))
    return missing


def check_granted(session: Session, caller: Caller, sar_id: int, document_id: int) -> None:
    """Refuse (audited, committed) a review of a restricted document without its grant."""
    missing = ungranted(session, caller, [document_id]).get(document_id)
    if missing:
        why = f"document {document_id} is restricted ({missing}): a grant is needed to review it"
        audit.refuse(
            session,
            actor=caller.user_id,
            target_type="document",
            target_id=str(document_id),
            why=why,
            detail={"sar": sar_id},
        )
