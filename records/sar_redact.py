"""A reviewer's redactions on a subject access request: accept, reject, move or add them, redact
every occurrence of a term, and the second sign-off some exemptions need (issue 15;
docs/decisions/0034).

Every redaction carries an exemption code from a configurable list (records/sar_exemptions.yaml,
or the file named by ESCR_SAR__EXEMPTIONS_FILE) and a reason. Codes marked `second_signoff`
(serious harm, health, child abuse data) need a second IG officer's approval, and the rule is
disposal's (retention/disposal.py): whoever made or accepted a redaction cannot approve it, and a
refusal is audited and committed before it is raised. Every change is audited with the person
concerned. A redaction is a term (all its occurrences in one document) or a box on a page; the
burn-in (workers/redact) finds the term's places itself, on every layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.models_sar import SarItem, SarRedaction, SarRequest
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from domain.redaction import fold_term
from records.sar import get_request

_BUILT_IN = Path(__file__).with_name("sar_exemptions.yaml")
TERM_MAX = 300
REASON_MAX = 2_000


@dataclass(frozen=True)
class Exemption:
    code: str
    label: str
    second_signoff: bool


@lru_cache(maxsize=4)
def exemptions(path: str = "") -> dict[str, Exemption]:
    """The exemption codes by code: the built-in list, or the council's file."""
    entries = yaml.safe_load(Path(path or _BUILT_IN).read_text(encoding="utf-8")) or []
    found = {}
    for entry in entries:
        code = str(entry["code"]).strip()
        found[code] = Exemption(code, str(entry.get("label", "")), bool(entry["second_signoff"]))
    if not found:
        raise InvalidInput("the exemption list is empty")
    return found


@dataclass(frozen=True)
class PageBox:
    """A box on a page as a reviewer draws it: page 1-based, points from the top left."""

    page: int
    x: float
    y: float
    w: float
    h: float


def _code(code: str, codes: dict[str, Exemption]) -> str:
    code = code.strip()
    if code not in codes:
        raise InvalidInput(f"unknown exemption code {code!r}; one of: {', '.join(codes)}")
    return code


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("every redaction needs a reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"a reason is at most {REASON_MAX} characters")
    return reason


def _term(term: str) -> str:
    term = " ".join(term.split())
    if len(term) > TERM_MAX:
        raise InvalidInput(f"a term is at most {TERM_MAX} characters")
    try:
        fold_term(term)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return term


def _box(box: PageBox) -> PageBox:
    if box.page < 1 or box.w <= 0 or box.h <= 0 or min(box.x, box.y) < 0:
        raise InvalidInput("a box needs a page from 1, a position from 0 and a size above 0")
    return box


def included_documents(session: Session, sar_id: int) -> list[int]:
    """The documents going to the bundle, in collation order."""
    return list(
        session.scalars(
            select(SarItem.document_id)
            .where(SarItem.sar_id == sar_id, SarItem.status == "included")
            .order_by(SarItem.id)
        )
    )


def _audit(
    session: Session, request: SarRequest, actor: str, action: str, why: str, **detail: Any
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="sar",
        target_id=str(request.id),
        person_ids=[request.person_id],
        why=why,
        detail=detail,
    )


def add(
    session: Session,
    sar_id: int,
    *,
    actor: str,
    code: str,
    reason: str,
    term: str = "",
    box: PageBox | None = None,
    document_id: int | None = None,
    codes: dict[str, Exemption] | None = None,
) -> list[SarRedaction]:
    """A reviewer's redaction, accepted as made: a term (every occurrence in `document_id`, or
    in every included document when None) or a box on one document's page."""
    request = get_request(session, sar_id)
    codes = codes or exemptions()
    code, reason = _code(code, codes), _reason(reason)
    if bool(term) == (box is not None):
        raise InvalidInput("a redaction is a term or a box")
    included = included_documents(session, sar_id)
    if document_id is not None and document_id not in included:
        raise NotFound(f"document {document_id} is not in request {sar_id}")
    if box is not None and document_id is None:
        raise InvalidInput("a box is on one document's page: name the document")
    targets = [document_id] if document_id is not None else included
    if not targets:
        raise Conflict(f"request {sar_id} has no documents to redact: collate it first")
    now = utcnow()
    made = []
    for target in targets:
        row = SarRedaction(
            sar_id=sar_id,
            document_id=target,
            term=_term(term) if term else "",
            kind="manual",
            every_occurrence=bool(term),
            code=code,
            reason=reason,
            status="accepted",
            made_by=actor,
            decided_by=actor,
            created_at=now,
            decided_at=now,
        )
        if box is not None:
            checked = _box(box)
            row.page, row.box_x, row.box_y = checked.page, checked.x, checked.y
            row.box_w, row.box_h = checked.w, checked.h
        session.add(row)
        made.append(row)
    session.flush()
    _audit(
        session,
        request,
        actor,
        "sar_redact",
        reason,
        code=code,
        kind="box" if box is not None else "term",
        documents=len(targets),
        redactions=[row.id for row in made],
    )
    return made


def _redaction(session: Session, sar_id: int, redaction_id: int) -> SarRedaction:
    row = session.get(SarRedaction, redaction_id)
    if row is None or row.sar_id != sar_id:
        raise NotFound(f"redaction {redaction_id} is not in request {sar_id}")
    return row


def decide(
    session: Session,
    sar_id: int,
    redaction_id: int,
    *,
    actor: str,
    decision: str,
    code: str = "",
    reason: str = "",
    codes: dict[str, Exemption] | None = None,
) -> SarRedaction:
    """Accept (with a code and a reason) or reject (with a reason) a suggestion or a redaction."""
    request = get_request(session, sar_id)
    row = _redaction(session, sar_id, redaction_id)
    if decision not in ("accept", "reject"):
        raise InvalidInput("a decision is accept or reject")
    row.reason = _reason(reason)
    if decision == "accept":
        row.code = _code(code or row.code, codes or exemptions())
        row.status = "accepted"
    else:
        row.status = "rejected"
    row.decided_by, row.decided_at = actor, utcnow()
    row.approved_by, row.approved_at = "", None  # a changed decision is signed off again
    _audit(
        session, request, actor, f"sar_redaction_{decision}", row.reason,
        redaction=row.id, code=row.code, kind=row.kind,
    )  # fmt: skip
    return row


def move(
    session: Session,
    sar_id: int,
    redaction_id: int,
    *,
    actor: str,
    reason: str,
    term: str = "",
    box: PageBox | None = None,
) -> SarRedaction:
    """Change what a redaction covers: its term (a span edited), or its box (moved, resized)."""
    request = get_request(session, sar_id)
    row = _redaction(session, sar_id, redaction_id)
    if bool(term) == (box is not None):
        raise InvalidInput("move a redaction to a term or to a box")
    if term:
        if not row.term:
            raise InvalidInput("a box redaction moves to another box")
        row.term = _term(term)
    elif box is not None:
        if row.term:
            raise InvalidInput("a term redaction is edited as a term")
        checked = _box(box)
        row.page, row.box_x, row.box_y = checked.page, checked.x, checked.y
        row.box_w, row.box_h = checked.w, checked.h
    row.reason = _reason(reason)
    row.decided_by, row.decided_at = actor, utcnow()
    row.approved_by, row.approved_at = "", None
    _audit(session, request, actor, "sar_redaction_move", row.reason, redaction=row.id)
    return row


def needs_signoff(row: SarRedaction, codes: dict[str, Exemption]) -> bool:
    exemption = codes.get(row.code)
    return row.status == "accepted" and exemption is not None and exemption.second_signoff


def _refuse(session: Session, request: SarRequest, actor: str, why: str) -> NoReturn:
    audit.refuse(
        session,
        actor=actor,
        target_type="sar",
        target_id=str(request.id),
        why=why,
        person_ids=[request.person_id],
    )


def approve(
    session: Session,
    sar_id: int,
    *,
    actor: str,
    redaction_ids: Sequence[int] = (),
    codes: dict[str, Exemption] | None = None,
) -> dict[str, int]:
    """The second sign-off of every accepted redaction whose code needs one (or those named).
    Refused, and nothing approved, when the actor made or accepted any of them."""
    request = get_request(session, sar_id)
    codes = codes or exemptions()
    rows = _rows(session, sar_id)
    if redaction_ids:
        rows = [row for row in rows if row.id in set(redaction_ids)]
    waiting = [row for row in rows if needs_signoff(row, codes) and not row.approved_by]
    own = [row.id for row in waiting if actor in (row.made_by, row.decided_by)]
    if own:
        _refuse(
            session,
            request,
            actor,
            f"{actor} made or accepted redactions {own}: a second person must sign them off",
        )
    now = utcnow()
    for row in waiting:
        row.approved_by, row.approved_at = actor, now
    _audit(
        session, request, actor, "sar_redaction_approve", "second sign-off",
        redactions=[row.id for row in waiting],
    )  # fmt: skip
    return {"approved": len(waiting)}


def _rows(session: Session, sar_id: int) -> list[SarRedaction]:
    return list(
        session.scalars(
            select(SarRedaction).where(SarRedaction.sar_id == sar_id).order_by(SarRedaction.id)
        )
    )


def blockers(session: Session, sar_id: int, codes: dict[str, Exemption] | None = None) -> list[str]:
    """Why the request's bundle may not be released yet: candidates (documents on someone
    else that mention the person) nobody included or left out, suggestions nobody decided,
    and redactions that wait for their second sign-off."""
    codes = codes or exemptions()
    rows = _rows(session, sar_id)
    undecided = [row for row in rows if row.status == "suggested"]
    unsigned = [row for row in rows if needs_signoff(row, codes) and not row.approved_by]
    candidates = list(
        session.scalars(
            select(SarItem.document_id).where(
                SarItem.sar_id == sar_id, SarItem.status == "candidate"
            )
        )
    )
    found = []
    if candidates:
        found.append(
            f"{len(candidates)} candidate documents are not decided (include or leave out): "
            f"{_documents(candidates)}"
        )
    if undecided:
        found.append(
            f"{len(undecided)} suggested redactions are not decided, in "
            f"{_documents([row.document_id for row in undecided])}"
        )
    if unsigned:
        found.append(
            f"{len(unsigned)} redactions wait for a second sign-off, in "
            f"{_documents([row.document_id for row in unsigned])}"
        )
    return found


def _documents(ids: list[int], shown: int = 20) -> str:
    """'document 54' or 'documents 12, 40 and 3 more': words an officer can act on, where a
    Python list of redaction row numbers ([17, 18]) named nothing they could find."""
    unique = list(dict.fromkeys(ids))
    listed = ", ".join(str(i) for i in unique[:shown])
    more = f" and {len(unique) - shown} more" if len(unique) > shown else ""
    return f"document{'s' if len(unique) != 1 else ''} {listed}{more}"


@dataclass(frozen=True)
class DocumentPlan:
    """What the burn-in does to one document: its terms, its boxes (page 1-based, points from
    the top left), and the log lines of its redactions."""

    document_id: int
    terms: tuple[str, ...]
    boxes: tuple[PageBox, ...]
    redactions: tuple[SarRedaction, ...]


def plans(session: Session, sar_id: int) -> dict[int, DocumentPlan]:
    """The accepted redactions of each included document."""
    accepted: dict[int, list[SarRedaction]] = {}
    for row in _rows(session, sar_id):
        if row.status == "accepted":
            accepted.setdefault(row.document_id, []).append(row)
    found = {}
    for document_id in included_documents(session, sar_id):
        rows = accepted.get(document_id, [])
        terms = tuple(dict.fromkeys(row.term for row in rows if row.term))
        boxes = tuple(
            PageBox(row.page, row.box_x, row.box_y, row.box_w, row.box_h)
            for row in rows
            if row.page is not None
            and row.box_x is not None
            and row.box_y is not None
            and row.box_w is not None
            and row.box_h is not None
        )
        found[document_id] = DocumentPlan(document_id, terms, boxes, tuple(rows))
    return found


def redaction_json(row: SarRedaction) -> dict[str, Any]:
    return {
        "id": row.id,
        "document_id": row.document_id,
        "term": row.term,
        "page": row.page,
        "box": [row.box_x, row.box_y, row.box_w, row.box_h] if row.box_x is not None else None,
        "kind": row.kind,
        "code": row.code,
        "reason": row.reason,
        "status": row.status,
        "made_by": row.made_by,
        "decided_by": row.decided_by,
        "approved_by": row.approved_by,
    }
