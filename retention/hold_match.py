"""Which documents the active legal holds match, at the moment of asking.

Below both retention.holds (which makes and releases holds) and retention.locks (which mirrors
them onto the blob store's legal holds): each imports this, neither the other.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import Document, DocumentLink, DocumentText
from catalog.models_retention import LegalHold, RetentionDecision
from catalog.models_sar import SarItem

_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


class _Doc:
    """What hold matching needs to know about one document."""

    __slots__ = ("classes", "date", "people", "sars", "source", "words")

    def __init__(self, source: str, when: date | None) -> None:
        self.source, self.date = source, when
        self.people: set[str] = set()
        self.classes: set[str] | None = None  # None: not yet appraised, so any class may apply
        self.words: set[str] = set()
        self.sars: set[str] = set()  # the subject access requests that collated it


def matches(criteria: dict[str, Any], doc: _Doc) -> bool:
    """All given criteria must hold; an unknown date or class matches (held, not destroyed)."""
    if "source_systems" in criteria and doc.source not in criteria["source_systems"]:
        return False
    if "person_ids" in criteria and not doc.people & set(criteria["person_ids"]):
        return False
    if "sar_ids" in criteria and not doc.sars & set(criteria["sar_ids"]):
        return False
    wanted_classes = set(criteria.get("classes", ()))
    if wanted_classes and doc.classes is not None and not doc.classes & wanted_classes:
        return False
    if doc.date is not None:
        if "date_from" in criteria and doc.date < date.fromisoformat(criteria["date_from"]):
            return False
        if "date_to" in criteria and doc.date > date.fromisoformat(criteria["date_to"]):
            return False
    return "query" not in criteria or _words(criteria["query"]) <= doc.words


def _load(
    session: Session, ids: Sequence[int], with_text: bool, with_sars: bool = False
) -> dict[int, _Doc]:
    docs = {
        i: _Doc(s, d)
        for i, s, d in session.execute(
            select(Document.id, Document.source_system, Document.document_date).where(
                Document.id.in_(ids)
            )
        )
    }
    for i, p in session.execute(
        select(DocumentLink.document_id, DocumentLink.person_id).where(
            DocumentLink.document_id.in_(ids)
        )
    ):
        docs[i].people.add(p)
    for i, classes in session.execute(
        select(RetentionDecision.document_id, RetentionDecision.classes).where(
            RetentionDecision.document_id.in_(ids)
        )
    ):
        docs[i].classes = set(filter(None, classes.split(";")))
    if with_sars:
        for i, sar_id in session.execute(
            select(SarItem.document_id, SarItem.sar_id).where(SarItem.document_id.in_(ids))
        ):
            docs[i].sars.add(str(sar_id))
    if with_text:
        for i, title in session.execute(
            select(Document.id, Document.title).where(Document.id.in_(ids))
        ):
            docs[i].words |= _words(title)
        query = select(DocumentText.document_id, DocumentText.text)
        for i, text in session.execute(query.where(DocumentText.document_id.in_(ids))):
            docs[i].words |= _words(text)
    return docs


def active_holds(session: Session) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None))))


def holds_on(
    session: Session, document_ids: Iterable[int], holds: Sequence[LegalHold] | None = None
) -> dict[int, list[int]]:
    """Document ID -> the active holds that match it (documents with none are left out)."""
    holds = active_holds(session) if holds is None else holds
    ids = sorted(set(document_ids))
    found: dict[int, list[int]] = defaultdict(list)
    if not holds:
        return found
    with_text = any("query" in h.criteria for h in holds)
    with_sars = any("sar_ids" in h.criteria for h in holds)
    for start in range(0, len(ids), IN_LIST_MAX):
        for document_id, doc in _load(
            session, ids[start : start + IN_LIST_MAX], with_text, with_sars
        ).items():
            for hold in holds:
                if matches(hold.criteria, doc):
                    found[document_id].append(hold.id)
    return found
