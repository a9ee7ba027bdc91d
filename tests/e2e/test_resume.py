"""A load killed with SIGKILL at any point completes on the next run, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.db import session_factory
from catalog.models import Document, DocumentLink, DocumentText, ExceptionItem, LedgerRow
from catalog.reconcile import reconcile
from core.settings import Settings
from indexer.base import SearchQuery
from indexer.factory import make_index
from tests.e2e.test_migration import _load, _rows, assert_matches_ground_truth
from tests.factories.emails import EmailArchive, make_email_archive
from workers.load import load_archive


def _finished_rows(catalog: Path) -> int:
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM ledger WHERE state IN ('indexed', 'quarantined')"
            ).fetchone()
            return int(count)
    except sqlite3.OperationalError:
        return 0  # tables not created yet


@pytest.mark.parametrize("kill_after_rows", [3, 25])
def test_sigkill_then_rerun_completes_the_batch(
    settings: Settings,
    archive_dir: Path,
    expected: list[dict[str, str]],
    tmp_path: Path,
    kill_after_rows: int,
) -> None:
    # Only the embedded backends: `make test` exports the scale-out services' ESCR_* settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    env["ESCR_HOME"] = str(settings.home)
    loader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "load",
            str(archive_dir / "manifest.csv"),
            "--people",
            str(archive_dir / "people.csv"),
            "--workers",
            "2",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _finished_rows(settings.home / "catalog.sqlite") < kill_after_rows:
        assert loader.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline, "the load made no progress"
        time.sleep(0.05)
    os.killpg(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    assert _finished_rows(settings.home / "catalog.sqlite") < len(expected)

    summary = _load(settings, archive_dir)
    assert summary["unaccounted"] == 0
    assert_matches_ground_truth(
        _rows(settings, str(summary["batch"]), tmp_path / "r.csv"), expected
    )
    with session_factory(settings.database_url)() as session:
        top_level = session.scalar(
            select(func.count()).select_from(Document).where(Document.parent_id.is_(None))
        )
        distinct = session.scalar(
            select(func.count(func.distinct(Document.source_document_id))).where(
                Document.parent_id.is_(None)
            )
        )
    assert top_level == distinct  # no document created twice


# -- item 6 of issue 11: a kill at any moment, attachments included --------------------------

# The loader with the index written every 20 documents instead of every 500: a small archive
# then reaches the index long before its last row, so a kill can land in the middle of indexing.
_LOADER = (
    "import sys, workers.local_runner as runner; runner.INDEX_EVERY = 20; "
    "from cli.main import main; sys.exit(main(sys.argv[1:]))"
)
# Where each kill lands: the load is killed the moment the catalog first shows this (committed
# state, polled), not after a fixed sleep, so each test kills at the same stage on any machine.
KILL_POINTS = {
    # the first page of rows recorded: the next pages' files still being read and stored
    "reading": "SELECT count(*) FROM documents",
    # the first attachment extracted: the other attachments' extractions still out
    "extracting": "SELECT count(*) FROM documents WHERE parent_id IS NOT NULL"
    " AND state NOT IN ('stored')",
    # the first documents indexed: others waiting for the index
    "indexing": "SELECT count(*) FROM documents WHERE state = 'indexed'",
}
EMAILS = 96
# Rows of plain letters after the emails: the rows come in pages of 200, and the first commit
# comes after the first page, so the `reading` kill lands while later pages are being read.
LETTERS = 404


def _loader(home: Path, archive: EmailArchive) -> subprocess.Popen[bytes]:
    # Only the embedded backends: `make test` exports the scale-out services' ESCR_* settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
    env["ESCR_HOME"] = str(home)
    return subprocess.Popen(
        [
            *(sys.executable, "-c", _LOADER, "load", str(archive.manifest)),
            *("--people", str(archive.people), "--workers", "2", "--quiet"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its sandbox children die with it
    )


def _count(catalog: Path, query: str) -> int:
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # tables not created yet


def _embedded(home: Path) -> Settings:
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if name.startswith("ESCR_")]:
            env.delenv(name)
        return Settings(home=home)


def _snapshot(settings: Settings, archive: EmailArchive) -> dict[str, object]:
    """Every document (attachments included) by source ID: its state, text, type, people,
    exceptions, parent, and what the index holds for it; every ledger row; and what a search
    for each codeword finds."""
    index = make_index(settings)
    with session_factory(settings.database_url)() as session:
        documents = list(session.scalars(select(Document)))
        source = {d.id: d.source_document_id for d in documents}
        texts = {
            document_id: chars
            for document_id, chars in session.execute(
                select(DocumentText.document_id, func.length(DocumentText.text))
            )
        }
        people: dict[int, list[str]] = {}
        for document_id, person_id in session.execute(
            select(DocumentLink.document_id, DocumentLink.person_id)
        ):
            people.setdefault(document_id, []).append(person_id)
        queued: dict[int, list[str]] = {}
        for document_id, kind in session.execute(
            select(ExceptionItem.document_id, ExceptionItem.kind)
        ):
            queued.setdefault(document_id, []).append(kind)
        rows = {
            row.line_no: (row.state, row.reason, row.change, source.get(row.document_id or -1))
            for row in session.scalars(select(LedgerRow))
        }
    catalog = {}
    for d in documents:
        indexed = index.get(d.id)
        catalog[d.source_document_id] = {
            "state": d.state,
            "reason": d.reason,
            "version": d.version,
            "text_chars": texts.get(d.id, 0),
            "doc_type": d.doc_type,
            "parent": source.get(d.parent_id or -1, ""),
            "people": sorted(people.get(d.id, [])),
            "exceptions": sorted(queued.get(d.id, [])),
            "in_index": None
            if indexed is None
            else (indexed.doc_type, sorted(indexed.person_ids), len(indexed.text)),
        }
    found = {
        word: sorted(h.source_document_id for h in index.search(SearchQuery(text=word)).hits)
        for word in archive.words
    }
    return {"documents": catalog, "rows": rows, "index_count": index.count(), "search": found}


@pytest.fixture(scope="module")
def email_archive(tmp_path_factory: pytest.TempPathFactory) -> EmailArchive:
    return make_email_archive(tmp_path_factory.mktemp("emails"), EMAILS, LETTERS)


@pytest.fixture(scope="module")
def uninterrupted(
    email_archive: EmailArchive, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    home = tmp_path_factory.mktemp("uninterrupted")
    assert _loader(home, email_archive).wait(timeout=300) == 0
    snapshot = _snapshot(_embedded(home), email_archive)
    documents = snapshot["documents"]
    assert isinstance(documents, dict)
    # The baseline itself: every document, attachments and their attachments, indexed and found.
    assert len(documents) == EMAILS * 2 + EMAILS // 8 + LETTERS
    assert {d["state"] for d in documents.values()} == {"indexed"}
    assert all(hits for hits in snapshot["search"].values())  # type: ignore[attr-defined]
    return snapshot


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_a_kill_at_any_stage_then_a_rerun_leaves_what_an_uninterrupted_load_leaves(
    settings: Settings,
    email_archive: EmailArchive,
    uninterrupted: dict[str, object],
    kill_point: str,
) -> None:
    catalog = settings.home / "catalog.sqlite"
    loader = _loader(settings.home, email_archive)
    deadline = time.monotonic() + 120
    while _count(catalog, KILL_POINTS[kill_point]) < 1:
        assert loader.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline, "the load made no progress"
        time.sleep(0.02)
    os.killpg(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    # Killed in the middle: the batch was not finished.
    assert _count(catalog, "SELECT count(*) FROM batches WHERE status = 'complete'") == 0

    summary = load_archive(
        settings,
        manifest=email_archive.manifest,
        people=email_archive.people,
        workers=2,
        progress=False,
    )
    assert summary["status"] == "complete" and summary["unaccounted"] == 0
    assert summary["attachments"] == {"indexed": EMAILS + EMAILS // 8}
    assert _snapshot(settings, email_archive) == uninterrupted
    # Nor anything the killed run was reading: part-read spool files, sandbox scratch folders.
    staging = settings.blob_root / ".tmp"
    assert [*staging.iterdir(), *settings.tmp_dir.iterdir()] == []


def test_a_batch_with_a_stranded_attachment_is_not_done(settings: Settings, tmp_path: Path) -> None:
    """The reconciliation counts an attachment that never reached the index: a batch is not
    complete while one is left, whatever its rows say."""
    archive = make_email_archive(tmp_path / "archive", 2)
    summary = load_archive(
        settings, manifest=archive.manifest, people=archive.people, workers=1, progress=False
    )
    assert summary["unaccounted"] == 0
    with session_factory(settings.database_url)() as session:
        child = session.scalars(select(Document).where(Document.parent_id.is_not(None))).first()
        assert child is not None
        child.state = "pending_index"
        session.commit()
        after = reconcile(session, str(summary["batch"]))
        assert after["unaccounted"] == 1 and after["status"] == "loading"
