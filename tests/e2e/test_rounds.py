"""Later rounds: a corrected people file links what the first round could not; a corrected
mapping or manifest corrects the documents' metadata in the catalog and the search index."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from catalog import documents as docs
from catalog.db import session_factory
from catalog.documents import linked_person_ids, open_exception_kinds
from catalog.models import Document
from core.errors import InvalidInput
from core.settings import Settings
from indexer.base import SearchQuery, SearchResults
from indexer.factory import make_index
from records import reads
from records.access import service_caller
from tests.e2e.test_migration import _load, _rows
from tests.factories.people import add_late_arrival
from tests.factories.tiny import MANIFEST, make_tiny_archive
from workers.load import load_archive


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


# The tiny archive's manifest with a second date column, the date each file was scanned: a
# mapping that reads it as the document's date is the mistake a round later corrects.
SCANNED = {"D1": "2012-05-05", "D2": "2012-06-06", "D3": "2012-07-07"}
RIGHT = {"D1": date(2020, 3, 1), "D2": date(2021, 6, 1), "D3": date(2019, 1, 1)}


def _with_scanned_dates(root: Path) -> None:
    make_tiny_archive(root)
    head, *rows = MANIFEST.splitlines()
    lines = [head + ",scanned"]
    lines += [f"{row},{SCANNED[row.split(',')[1]]}" for row in rows]
    (root / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _search(settings: Settings, **filters: Any) -> SearchResults:
    with session_factory(settings.database_url)() as session:
        results = reads.search(
            session,
            make_index(settings),
            SearchQuery(text="", limit=50, facets=True, include_unlinked=True, **filters),
            caller=service_caller("test"),
        )
        session.commit()
    return results


def _dates(settings: Settings) -> dict[str, date | None]:
    with session_factory(settings.database_url)() as session:
        return {
            d.source_document_id: d.document_date
            for d in session.scalars(select(Document).where(Document.parent_id.is_(None)))
        }


def _tiny_load(settings: Settings, root: Path, mapping: Path | None) -> dict[str, Any]:
    return load_archive(
        settings,
        manifest=root / "manifest.csv",
        people=root / "people.csv",
        mapping_path=mapping,
        workers=1,
        progress=False,
    )


def _document_answer(settings: Settings, document_id: int) -> dict[str, Any]:
    """The document's metadata as the API answers it (its response model included)."""
    with TestClient(create_app()) as client:
        answer = client.get(
            f"/api/documents/{document_id}", headers={"Authorization": "Bearer dev-token"}
        )
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def test_a_corrected_mapping_corrects_the_dates_in_catalog_search_and_facets(
    settings: Settings, tmp_path: Path
) -> None:
    """The same files under a corrected mapping: the round was `unchanged` and kept the wrong
    dates (same batch), or, under a new batch name, changed the catalog but not the index."""
    _with_scanned_dates(tmp_path)
    wrong, right = tmp_path / "wrong.yaml", tmp_path / "right.yaml"
    wrong.write_text("manifest_columns:\n  document_date: scanned\n", encoding="utf-8")
    right.write_text("manifest_columns:\n  document_date: document_date\n", encoding="utf-8")

    first = _tiny_load(settings, tmp_path, wrong)
    assert first["indexed"] == 3 and first["metadata_updated"] == 0
    assert _dates(settings) == {k: date.fromisoformat(v) for k, v in SCANNED.items()}
    assert _search(settings).facets["year"] == {"2012": 3}

    second = _tiny_load(settings, tmp_path, right)
    assert second["batch"] != first["batch"]  # the mapping is part of the round's inputs
    assert second["unaccounted"] == 0 and second["indexed"] == 3
    assert second["unchanged"] == 3 and second["extracted_this_run"] == 0
    assert second["metadata_updated"] == 3
    assert _dates(settings) == RIGHT
    # Search agrees with the catalog: hits, date filters and the year facet.
    everything = _search(settings)
    assert {h.source_document_id: h.document_date for h in everything.hits} == RIGHT
    assert everything.facets["year"] == {"2019": 1, "2020": 1, "2021": 1}
    in_2012 = _search(settings, date_from=date(2012, 1, 1), date_to=date(2012, 12, 31))
    assert in_2012.total == 0
    in_2021 = _search(settings, date_from=date(2021, 1, 1), date_to=date(2021, 12, 31))
    assert [h.source_document_id for h in in_2021.hits] == ["D2"]
    # Each correction is a metadata version with its round and reason.
    with session_factory(settings.database_url)() as session:
        d2 = docs.find_document(session, "PARIS", "D2")
        assert d2 is not None
        (version,) = docs.metadata_versions(session, d2.id)
        assert version.version == 2 and version.batch == second["batch"]
        assert version.reason == (
            f"round {second['batch']} after round {first['batch']}: the mapping changed"
        )
        assert version.changes == {
            "document_date": ["2012-06-06", "2021-06-01"],
            # The columns no field names are kept as extra: they swapped places too.
            "extra": [{"document_date": "2021-06-01"}, {"scanned": "2012-06-06"}],
        }

    # ...and what a reader of the document sees of it, in the API and on the page.
    corrections = _document_answer(settings, d2.id)["corrections"]
    assert [(c["version"], c["batch"], c["changes"]["document_date"]) for c in corrections] == [
        (2, second["batch"], ["2012-06-06", "2021-06-01"])
    ]

    third = _tiny_load(settings, tmp_path, right)  # the same round again: nothing to correct
    assert third["batch"] == second["batch"] and third["metadata_updated"] == 0


def test_a_corrected_legacy_person_moves_the_document_to_the_right_record(
    settings: Settings, tmp_path: Path
) -> None:
    """A document filed on the wrong child by a wrong legacy ID comes off that record."""
    make_tiny_archive(tmp_path)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST.replace("PARIS,D1,100,", "PARIS,D1,200,"), encoding="utf-8")
    first = _tiny_load(settings, tmp_path, None)
    with session_factory(settings.database_url)() as session:
        d1 = docs.find_document(session, "PARIS", "D1")
        assert d1 is not None and docs.linked_person_ids(session, d1.id) == ["MOS2"]
    manifest.write_text(MANIFEST, encoding="utf-8")
    second = _tiny_load(settings, tmp_path, None)
    assert second["metadata_updated"] == 1 and second["batch"] != first["batch"]
    with session_factory(settings.database_url)() as session:
        assert docs.linked_person_ids(session, d1.id) == ["MOS1"]
        (version,) = docs.metadata_versions(session, d1.id)
        assert version.changes["crosswalk_links_removed"] == ["MOS2"]
    assert [h.source_document_id for h in _search(settings, person_ids=("MOS2",)).hits] == []
    assert "D1" in [h.source_document_id for h in _search(settings, person_ids=("MOS1",)).hits]


def test_a_batch_name_is_one_set_of_inputs(settings: Settings, tmp_path: Path) -> None:
    """Reusing a batch name with a corrected mapping registered nothing new: refused, named."""
    _with_scanned_dates(tmp_path)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("manifest_columns:\n  document_date: scanned\n", encoding="utf-8")
    load_archive(
        settings,
        manifest=tmp_path / "manifest.csv",
        people=tmp_path / "people.csv",
        mapping_path=wrong,
        batch="round-1",
        workers=1,
        progress=False,
    )
    with pytest.raises(InvalidInput, match="batch 'round-1' was registered from another mapping"):
        load_archive(
            settings,
            manifest=tmp_path / "manifest.csv",
            people=tmp_path / "people.csv",
            batch="round-1",
            workers=1,
            progress=False,
        )


def test_a_date_the_corrected_round_no_longer_gives_is_removed(
    settings: Settings, tmp_path: Path
) -> None:
    """The wrong column's date must not outlive the mapping that read it."""
    _with_scanned_dates(tmp_path)
    manifest = tmp_path / "manifest.csv"
    head, *rows = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("\n".join([head + ",undated"] + [r + "," for r in rows]) + "\n")
    wrong, right = tmp_path / "wrong.yaml", tmp_path / "right.yaml"
    wrong.write_text("manifest_columns:\n  document_date: scanned\n", encoding="utf-8")
    right.write_text("manifest_columns:\n  document_date: undated\n", encoding="utf-8")
    _tiny_load(settings, tmp_path, wrong)
    second = _tiny_load(settings, tmp_path, right)
    assert second["metadata_updated"] == 3
    # The tiny archive's texts hold no date either: the documents are undated now.
    assert _dates(settings) == {"D1": None, "D2": None, "D3": None}
    assert _search(settings).facets.get("year", {}) == {}
