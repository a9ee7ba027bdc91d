"""Through Celery too, a later round with a corrected people.csv links what the first could not."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.db import session_factory
from catalog.documents import linked_person_ids, open_exception_kinds
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
    with (copy / "people.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(
            [
                "MOS999001",
                "Mosaic",
                f"PARIS:{legacy_id}",
                "Late",
                "Arrival",
                "2012-02-02",
                "",
                "",
                "children",
                "North",
            ]
        )
    second = load("round-2")
    assert second["unaccounted"] == 0
    with session_factory(settings.database_url)() as session:
        document_id = int(target["document_id"])
        assert linked_person_ids(session, document_id) == ["MOS999001"]
        assert open_exception_kinds(session, document_id) == []
