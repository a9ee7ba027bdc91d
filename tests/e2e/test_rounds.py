"""A later round with a corrected people.csv links what the first round could not."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from catalog.db import session_factory
from catalog.documents import linked_person_ids, open_exception_kinds
from core.settings import Settings
from tests.e2e.test_migration import _load, _rows
from tests.factories.people import add_late_arrival


def test_corrected_people_file_relinks_unknown_ids(
    settings: Settings, archive_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    first = _load(settings, copy)
    rows = _rows(settings, str(first["batch"]), tmp_path / "rows.csv")
    with (copy / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        manifest = {m["source_document_id"]: m for m in csv.DictReader(handle)}
    with session_factory(settings.database_url)() as session:
        unknown = [
            r
            for r in rows.values()
            if r["state"] == "indexed"
            and open_exception_kinds(session, int(r["document_id"])) == ["unknown_legacy_id"]
        ]
    assert unknown, "the synthetic archive should hold documents with unknown legacy IDs"
    target = unknown[0]
    legacy_id = manifest[target["source_document_id"]]["legacy_person_id"].strip()

    person = add_late_arrival(copy / "people.csv", "PARIS", legacy_id)
    second = _load(settings, copy, batch="round-2")
    assert second["unaccounted"] == 0
    assert second["new"] == 0 and second["extracted_this_run"] == 0
    assert second["linked"] == first["linked"] + 1
    with session_factory(settings.database_url)() as session:
        document_id = int(target["document_id"])
        assert linked_person_ids(session, document_id) == [person]
        assert open_exception_kinds(session, document_id) == []
