"""Through Celery too, a later round with a corrected people.csv links what the first could not,
and reports it to its own rows."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.documents import linked_person_ids, open_exception_kinds
from catalog.models import LedgerRow
from core.settings import Settings
from indexer.base import SearchQuery
from indexer.factory import make_index
from records import reads
from records.access import service_caller
from tests.factories.people import add_late_arrival
from tests.factories.tiny import MANIFEST, make_tiny_archive
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from tests.integration.test_celery_pipeline import TIMEOUT_S, _rows
from workers.celery_load import load_via_celery

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(services: Services, tmp_path: Path) -> Iterator[Stack]:
    value = Stack(services, tmp_path / "home")
    value.home.mkdir()
    value.create()
    yield value
    value.drop()


def test_later_round_relinks_through_celery(
    stack: Stack, archive_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    stack.start_worker("w1", concurrency=2)
    settings = stack.settings()

    def load(batch: str | None = None) -> dict[str, object]:
        return load_via_celery(
            settings,
            manifest=copy / "manifest.csv",
            people=copy / "people.csv",
            batch=batch,
            progress=False,
            timeout_s=TIMEOUT_S,
        )

    first = load()
    rows = _rows(settings, str(first["batch"]), tmp_path / "rows.csv")
    with (copy / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        manifest = {m["source_document_id"]: m for m in csv.DictReader(handle)}
    with session_factory(settings.database_url)() as session:
        target = next(
            r
            for r in rows.values()
            if r["state"] == "indexed"
            and open_exception_kinds(session, int(r["document_id"])) == ["unknown_legacy_id"]
        )
    legacy_id = manifest[target["source_document_id"]]["legacy_person_id"].strip()
    before = _ledger(settings, str(first["batch"]))
    person = add_late_arrival(copy / "people.csv", "PARIS", legacy_id)
    second = load("round-2")
    assert second["unaccounted"] == 0
    with session_factory(settings.database_url)() as session:
        document_id = int(target["document_id"])
        assert linked_person_ids(session, document_id) == [person]
        assert open_exception_kinds(session, document_id) == []
        row = session.scalars(
            select(LedgerRow).where(
                LedgerRow.batch == "round-2", LedgerRow.document_id == document_id
            )
        ).one()
        assert row.state == "indexed"
    # The re-link reported to round 2's rows; round 1's rows are its history, untouched.
    assert _ledger(settings, str(first["batch"])) == before


def _ledger(settings: Settings, batch: str) -> dict[int, tuple[str, str | None, object]]:
    with session_factory(settings.database_url)() as session:
        rows = session.scalars(select(LedgerRow).where(LedgerRow.batch == batch))
        return {row.id: (row.state, row.reason, row.updated_at) for row in rows}


def test_a_corrected_manifest_date_reaches_the_index_through_celery(
    stack: Stack, tmp_path: Path
) -> None:
    """The metadata a corrected round brings is applied before the rows are queued, and the
    workers classify and index the documents again: the search index (OpenSearch) agrees."""
    make_tiny_archive(tmp_path)
    stack.start_worker("w1", concurrency=2)
    settings = stack.settings()
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST.replace("2021-06-01", "2012-06-01"), encoding="utf-8")

    def load() -> dict[str, object]:
        return load_via_celery(
            settings,
            manifest=manifest,
            people=tmp_path / "people.csv",
            progress=False,
            timeout_s=TIMEOUT_S,
        )

    def years() -> dict[str, int]:
        with session_factory(settings.database_url)() as session:
            results = reads.search(
                session,
                make_index(settings),
                SearchQuery(text="", facets=True),
                caller=service_caller("test"),
            )
            session.commit()
        return results.facets["year"]

    first = load()
    assert first["unaccounted"] == 0 and years() == {"2012": 1, "2019": 1, "2020": 1}
    manifest.write_text(MANIFEST, encoding="utf-8")
    second = load()
    assert second["unaccounted"] == 0 and second["metadata_updated"] == 1
    assert years() == {"2019": 1, "2020": 1, "2021": 1}
