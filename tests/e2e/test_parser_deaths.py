"""A file that kills its parser ends quarantined with the reason, and its original is kept in
the store for the migration team to look at; its neighbours are not lost with it."""

from __future__ import annotations

import csv
from pathlib import Path

from core.settings import Settings
from storage.base import content_key
from storage.factory import make_blob_store
from tests.e2e.test_migration import _load, _rows
from tests.factories import hostile

PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\nMOS1,Mosaic,PARIS:1,Ann,Ash,2010-01-01,,,children\n"
)


def test_a_decompression_bomb_is_quarantined_and_kept(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / "files").mkdir(parents=True)
    hostile.make_pdf(archive / "files" / "before.pdf", ["A letter before the bomb"])
    bomb = hostile.flate_bomb_pdf(archive / "files")
    hostile.make_pdf(archive / "files" / "after.pdf", ["A letter after the bomb"])
    names = ["before.pdf", bomb.name, "after.pdf"]
    with (archive / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "legacy_person_id", "file_path"])
        for number, name in enumerate(names):
            writer.writerow(["PARIS", f"D{number}", "1", f"files/{name}"])
    (archive / "people.csv").write_text(PEOPLE, encoding="utf-8")

    summary = _load(settings, archive)
    rows = {
        key[2]: row
        for key, row in _rows(settings, str(summary["batch"]), tmp_path / "r.csv").items()
    }
    assert summary["unaccounted"] == 0
    assert (rows["D0"]["state"], rows["D2"]["state"]) == ("indexed", "indexed")
    assert (rows["D1"]["state"], rows["D1"]["reason"]) == ("quarantined", "memory_limit")
    assert rows["D1"]["document_id"] and rows["D1"]["sha256"]  # the original is in the store
    with make_blob_store(settings).open(content_key(rows["D1"]["sha256"])) as stored:
        assert stored.read() == bomb.read_bytes()
