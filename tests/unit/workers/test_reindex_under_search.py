"""`escr reindex` on a loaded embedded catalog while another process's searches run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select

from catalog.db import session_factory
from catalog.documents import set_texts
from catalog.models import Document
from catalog.models_retention import DestructionRecord
from catalog.schema import migrate
from cli.main import main
from core.clock import utcnow
from core.settings import Settings
from core.states import RowState
from indexer.base import SearchDocument, SearchQuery
from indexer.embedded import EmbeddedIndex

LOADED = 1500
NOW = datetime(2024, 1, 1)


def _load_catalog(settings: Settings) -> None:
    """LOADED documents whose text says "urgent", the last one still waiting for the index."""
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        session.execute(
            insert(Document),
            [
                {
                    "source_system": "mosaic",
                    "source_document_id": f"M{n}",
                    "title": f"Case note {n}",
                    "doc_type": "case_note",
                    "document_date": date(2020, 1, 1),
                    "state": RowState.PENDING_INDEX if n == LOADED else RowState.INDEXED,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(1, LOADED + 1)
            ],
        )
        ids = session.scalars(select(Document.id)).all()
        set_texts(session, {i: "An urgent visit by the duty team." for i in ids})
        session.commit()


def _stale(document_id: int) -> SearchDocument:
    # What the index held before: the same documents, with text the catalog has since changed.
    return SearchDocument(
        document_id=document_id,
        title=f"Case note {document_id}",
        text="A routine visit.",
        source_system="mosaic",
        source_document_id=f"M{document_id}",
        person_ids=(),
        doc_type="case_note",
        document_date=date(2020, 1, 1),
    )


def test_reindex_never_leaves_a_search_empty(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _load_catalog(settings)
    api = EmbeddedIndex(settings.index_path)  # the API process's handle on the index
    api.upsert(_stale(i) for i in range(1, LOADED))
    totals: list[int] = []
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            totals.append(api.search(SearchQuery(text="visit", limit=5)).total)

    searcher = threading.Thread(target=search_loop)
    searcher.start()
    try:
        assert main(["reindex"]) == 0
    finally:
        stop.set()
        searcher.join()
    assert json.loads(capsys.readouterr().out) == {"indexed": LOADED}
    assert len(totals) > 10
    # The old index (every document but the waiting one) or the new one, never anything less.
    assert set(totals) <= {LOADED - 1, LOADED}, sorted(set(totals))
    assert api.search(SearchQuery(text="urgent")).total == LOADED
    assert api.search(SearchQuery(text="routine")).total == 0
    with session_factory(settings.database_url)() as session:
        states = set(session.scalars(select(Document.state)))
    assert states == {RowState.INDEXED}


def _meanwhile(settings: Settings, changed: int, destroyed: int) -> None:
    """What the loader and a disposal do in other processes while the rebuild runs: the
    catalog first, then the (still old) index."""
    other = EmbeddedIndex(settings.index_path)
    now = utcnow()
    with session_factory(settings.database_url)() as session:
        document = session.get(Document, changed)
        assert document is not None
        document.title, document.updated_at = "Corrected case note", now
        set_texts(session, {changed: "A corrected visit."})
        gone = session.get(Document, destroyed)
        assert gone is not None
        gone.state = "destroyed"
        session.add(
            DestructionRecord(
                certificate_id="c1",
                document_id=destroyed,
                source_system="mosaic",
                source_document_id=gone.source_document_id,
                sha256s=[],
                blob_keys_deleted=[],
                person_ids=[],
                record_class="case_file",
                rule_version="test",
                approvals=[],
                destroyed_by="ig",
                destroyed_at=now,
            )
        )
        session.commit()
        other.upsert([replace(_stale(changed), title="Corrected case note", text="corrected")])
        other.delete([destroyed])


def test_writes_made_during_the_rebuild_survive_the_swap(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _load_catalog(settings)
    EmbeddedIndex(settings.index_path).upsert(_stale(i) for i in range(1, LOADED))
    rebuild = EmbeddedIndex.rebuild

    def with_writes(index: EmbeddedIndex, documents: Iterable[SearchDocument]) -> int:
        def interleaved() -> Iterator[SearchDocument]:
            for number, doc in enumerate(documents, 1):
                yield doc
                if number == 700:  # documents 1 and 2 are in the new index already
                    _meanwhile(settings, changed=1, destroyed=2)

        return rebuild(index, interleaved())

    monkeypatch.setattr(EmbeddedIndex, "rebuild", with_writes)
    assert main(["reindex"]) == 0
    capsys.readouterr()
    index = EmbeddedIndex(settings.index_path)
    corrected = index.get(1)
    assert corrected is not None and corrected.title == "Corrected case note"
    assert index.get(2) is None
    assert index.count() == LOADED - 1
