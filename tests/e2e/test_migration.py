"""End to end on the embedded backends, asserted against the synthetic archive's ground truth."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from sqlalchemy import func, select

from catalog.db import session_factory
from catalog.models import Blob, Document
from catalog.reconcile import write_row_report
from core.settings import Settings
from indexer.base import SearchQuery
from indexer.factory import make_index
from tests.e2e.conftest import row_report
from workers.load import load_archive


def _load(settings: Settings, archive: Path, **kwargs: object) -> dict[str, object]:
    return load_archive(
        settings,
        manifest=archive / "manifest.csv",
        people=archive / "people.csv",
        workers=2,
        progress=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _rows(settings: Settings, batch: str, out: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with session_factory(settings.database_url)() as session:
        write_row_report(session, batch, out)
    return row_report(out)


def assert_matches_ground_truth(
    rows: dict[tuple[str, str, str], dict[str, str]], expected: list[dict[str, str]]
) -> None:
    assert len(rows) == len(expected)
    mismatches = []
    for want in expected:
        got = rows[(want["line_no"], want["source_system"], want["source_document_id"])]
        checks = {
            "state": (got["state"], want["expected_state"]),
            "reason": (got["reason"], want["expected_reason"]),
            "person_ids": (got["person_ids"], want["person_ids"]),
            "doc_type": (got["doc_type"], want["doc_type"]),
        }
        for name, (actual, wanted) in checks.items():
            if actual != wanted:
                mismatches.append(f"line {want['line_no']} {name}: got {actual!r}, want {wanted!r}")
    assert not mismatches, "\n".join(mismatches)


def test_every_row_ends_where_the_ground_truth_says(
    settings: Settings, archive_dir: Path, expected: list[dict[str, str]], tmp_path: Path
) -> None:
    summary = _load(settings, archive_dir)
    assert summary["unaccounted"] == 0
    assert summary["rows"] == len(expected)
    assert summary["failed"] == 0
    rows = _rows(settings, str(summary["batch"]), tmp_path / "rows.csv")
    assert_matches_ground_truth(rows, expected)

    # Identical files are stored once: rows of one content group share one content key.
    by_group: dict[str, set[str]] = {}
    for want in expected:
        got = rows[(want["line_no"], want["source_system"], want["source_document_id"])]
        if want["content_group"] and got["sha256"]:
            by_group.setdefault(want["content_group"], set()).add(got["sha256"])
    assert by_group and all(len(shas) == 1 for shas in by_group.values())
    assert summary["duplicates"] >= 1
    with session_factory(settings.database_url)() as session:
        blobs = session.scalar(select(func.count()).select_from(Blob))
    assert blobs == len({r["sha256"] for r in rows.values() if r["sha256"]}) + _attachment_blobs(
        settings
    )

    # Search finds every known phrase on the right document.
    index = make_index(settings)
    for want in expected:
        if not want["phrase"] or want["expected_state"] != "indexed":
            continue
        got = rows[(want["line_no"], want["source_system"], want["source_document_id"])]
        hits = index.search(SearchQuery(text=want["phrase"], limit=50)).hits
        assert int(got["document_id"]) in {h.document_id for h in hits}, want["phrase"]


def _attachment_blobs(settings: Settings) -> int:
    """Blobs that only attachments use (an attachment may repeat a manifest file's bytes)."""
    with session_factory(settings.database_url)() as session:
        child = select(Document.sha256).where(Document.parent_id.is_not(None))
        parent = select(Document.sha256).where(Document.parent_id.is_(None))
        return len(set(session.scalars(child)) - set(session.scalars(parent)))


def test_loading_again_changes_nothing(settings: Settings, archive_dir: Path) -> None:
    first = _load(settings, archive_dir)
    with session_factory(settings.database_url)() as session:
        documents = session.scalar(select(func.count()).select_from(Document))
    second = _load(settings, archive_dir)
    assert second["batch"] == first["batch"]
    assert second["new"] == 0 and second["new_versions"] == 0
    assert second["unchanged"] == first["new"]
    assert second["extracted_this_run"] == 0
    with session_factory(settings.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == documents
    for key in ("indexed", "quarantined", "linked", "unlinked", "duplicates", "unaccounted"):
        assert second[key] == first[key], key


def test_changed_file_becomes_a_new_version(
    settings: Settings, archive_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    first = _load(settings, copy)
    rows = _rows(settings, str(first["batch"]), tmp_path / "rows.csv")
    with (copy / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        candidates = [
            m for m in csv.DictReader(handle) if m["file_path"].endswith(".txt") and not m["sha256"]
        ]
    target_row = next(
        m
        for m in candidates
        if any(
            r["source_document_id"] == m["source_document_id"] and r["state"] == "indexed"
            for r in rows.values()
        )
    )
    (copy / target_row["file_path"]).write_text("A replacement about the REPLACEMENTWORD visit.\n")
    second = _load(settings, copy)
    assert second["new_versions"] == 1
    assert second["unaccounted"] == 0
    with session_factory(settings.database_url)() as session:
        document = session.scalar(
            select(Document).where(Document.source_document_id == target_row["source_document_id"])
        )
        assert document is not None and document.version == 2
        document_id = document.id
    hits = make_index(settings).search(SearchQuery(text="REPLACEMENTWORD")).hits
    assert [h.document_id for h in hits] == [document_id]
