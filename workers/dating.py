"""Choosing a document's date from its text once its people are known.

The linked people's dates of birth are known only after linking, and a date equal to one of
them is never the document's date (an assessment is not dated its child's birthday). Runs after
the batch's links are written, with one query for the batch's dates of birth.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from catalog.models import Document, DocumentLink, Person
from core.states import DateSource
from workers.dates import first_date_in_text


def linked_birth_dates(session: Session, document_ids: Sequence[int]) -> dict[int, set[date]]:
    """Each document's linked people's dates of birth (documents with none are absent)."""
    births: dict[int, set[date]] = {}
    ids = sorted(set(document_ids))
    # No autoflush: the documents' pending changes go out with their dates, in one UPDATE.
    with session.no_autoflush:
        for start in range(0, len(ids), IN_LIST_MAX):
            rows = session.execute(
                select(DocumentLink.document_id, Person.date_of_birth)
                .join(Person, Person.person_id == DocumentLink.person_id)
                .where(
                    DocumentLink.document_id.in_(ids[start : start + IN_LIST_MAX]),
                    Person.date_of_birth.is_not(None),
                )
            )
            for document_id, born in rows:
                if born is not None:  # filtered above; said again for the type checker
                    births.setdefault(document_id, set()).add(born)
    return births


def date_from_text(session: Session, undated: Sequence[tuple[Document, str]]) -> None:
    """Date each (document, text) from its text, or mark it undated; call after linking."""
    if not undated:
        return
    births = linked_birth_dates(session, [document.id for document, _ in undated])
    for document, text in undated:
        found = first_date_in_text(text, skip=births.get(document.id, ()))
        document.document_date = found
        document.date_source = DateSource.TEXT if found is not None else DateSource.NONE
