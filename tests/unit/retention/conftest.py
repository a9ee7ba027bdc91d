"""A migrated catalog, the local blob store and the embedded index, with a helper to add records."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from catalog.db import session_factory
from catalog.documents import add_version, ensure_blob, set_text
from catalog.models import Document, DocumentLink, Person
from catalog.schema import migrate
from core.settings import Settings
from indexer.base import SearchDocument
from indexer.embedded import EmbeddedIndex
from retention.evaluate import Evaluator
from retention.schedule import load_schedule
from storage.base import content_key
from storage.local import LocalBlobStore

NOW = datetime(2024, 1, 1)


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as s:
        yield s


@pytest.fixture
def store(settings: Settings) -> LocalBlobStore:
    return LocalBlobStore(settings.blob_root)


@pytest.fixture
def index(settings: Settings) -> EmbeddedIndex:
    return EmbeddedIndex(settings.index_path)


@pytest.fixture
def evaluator() -> Evaluator:
    return Evaluator(load_schedule())


def add_person(session: Session, person_id: str, **facts: Any) -> Person:
    """A person; date_of_birth/date_of_death/service are columns, the rest go to extra."""
    columns = {k: facts.pop(k) for k in ("date_of_birth", "date_of_death", "service") if k in facts}
    person = Person(person_id=person_id, extra=facts, updated_at=NOW, **columns)
    session.add(person)
    session.flush()
    return person


AddDoc = Callable[..., Document]


@pytest.fixture
def add_doc(
    session: Session, store: LocalBlobStore, index: EmbeddedIndex, tmp_path: Path
) -> AddDoc:
    """A stored, extracted, indexed document on these people."""
    counter = iter(range(1, 10_000))

    def make(
        people: Sequence[str],
        *,
        doc_type: str = "case_note",
        confidence: float = 0.95,
        content: bytes | None = None,
        text: str = "visit record",
    ) -> Document:
        n = next(counter)
        body = content if content is not None else f"document {n}".encode()
        sha = hashlib.sha256(body).hexdigest()
        source = tmp_path / f"src-{n}"
        source.write_bytes(body)
        store.put_file(content_key(sha), source)
        ensure_blob(
            session, sha256=sha, key=content_key(sha), size=len(body), mime="text/plain", now=NOW
        )
        doc = Document(
            source_system="PARIS",
            source_document_id=f"D{n}",
            sha256=sha,
            title=f"Document {n}",
            doc_type=doc_type,
            type_confidence=confidence,
            state="indexed",
            document_date=date(2012, 1, 1),
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(doc)
        session.flush()
        add_version(session, doc, sha, "b1", NOW)
        set_text(session, doc.id, text)
        for pid in people:
            session.add(
                DocumentLink(
                    document_id=doc.id,
                    person_id=pid,
                    method="crosswalk",
                    reason="test",
                    created_at=NOW,
                )
            )
        session.flush()
        index.upsert(
            [
                SearchDocument(
                    doc.id,
                    doc.title,
                    text,
                    "PARIS",
                    doc.source_document_id,
                    tuple(people),
                    doc_type,
                    doc.document_date,
                )
            ]
        )
        return doc

    return make


def utc_today() -> date:
    return datetime.now(UTC).date()
