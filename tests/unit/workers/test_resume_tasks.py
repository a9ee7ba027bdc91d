"""The Celery runner's resume: queuing a batch again takes on the attachments a killed worker
left part-way, not only the ledger rows (issue 11 item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document
from core.settings import Settings
from tests.factories.emails import make_email_archive
from workers import tasks
from workers.load import load_archive


def test_queuing_a_batch_again_takes_on_its_stranded_attachments(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = make_email_archive(tmp_path / "archive", 3)
    summary = load_archive(
        settings, manifest=archive.manifest, people=archive.people, workers=1, progress=False
    )
    batch = str(summary["batch"])
    sent: list[tuple[str, int]] = []
    for name in ("ingest", "extract", "ocr", "index"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda i, name=name: sent.append((name, i)))
    with session_factory(settings.database_url)() as session:
        children = list(
            session.scalars(
                select(Document).where(Document.parent_id.is_not(None)).order_by(Document.id)
            )
        )
        stored, waiting, done = children[0].id, children[1].id, children[2].id
        children[0].state, children[1].state = "stored", "pending_index"
        session.commit()
        # Every row is indexed: only the attachments are left to do.
        assert tasks.enqueue_batch(session, batch) == 2
    assert sorted(sent) == [("extract", stored), ("index", waiting)]
    assert done not in {document_id for _, document_id in sent}
