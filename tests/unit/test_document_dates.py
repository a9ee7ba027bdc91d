"""Dates you can believe (issue 12, section 3): a date of birth is never a document date, and
every date says where it came from, in the catalog, the API and the chronology."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from workers.load import load_archive

AUTH = {"Authorization": "Bearer dev-token"}
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Ann,Ash,2012-03-02,,,children\n"
)
MANIFEST = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
    "PARIS,A1,100,files/labelled.txt,Assessment,ASSESS,,\n"
    "PARIS,A2,100,files/unlabelled.txt,Assessment,ASSESS,,\n"
    "PARIS,A3,100,files/plan.txt,Care plan,CPLAN,2021-06-01,\n"
)
FILES = {
    # The date of birth comes first, beside its label; the assessment's own date after it.
    "files/labelled.txt": "Child and family assessment\nName: Ann Ash\nDOB: 02/03/2012\n"
    "Date: 15/06/2019\nAnn was seen at home with her mother.\n",
    # The only date is the child's, unlabelled: the linked person's date of birth.
    "files/unlabelled.txt": "Assessment of Ann Ash, 02/03/2012. Ann was seen at school.\n",
    "files/plan.txt": "Care plan agreed on 01/01/2020 with the family.\n",
}


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "archive"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    load_archive(
        settings,
        manifest=root / "manifest.csv",
        people=root / "people.csv",
        workers=1,
        progress=False,
    )
    with TestClient(create_app()) as test_client:
        yield test_client


def _by_source_id(client: TestClient) -> dict[str, dict[str, object]]:
    chronology = client.get("/api/people/MOS1/documents", headers=AUTH).json()
    found = {}
    for entry in chronology["documents"]:
        meta = client.get(f"/api/documents/{entry['document_id']}", headers=AUTH).json()
        found[str(meta["source_document_id"])] = {"meta": meta, "entry": entry}
    return found


def test_a_date_of_birth_is_never_the_document_date(client: TestClient) -> None:
    found = _by_source_id(client)
    labelled = found["A1"]["meta"]
    assert isinstance(labelled, dict)
    assert (labelled["document_date"], labelled["date_source"]) == ("2019-06-15", "text")
    unlabelled = found["A2"]["meta"]
    assert isinstance(unlabelled, dict)
    assert (unlabelled["document_date"], unlabelled["date_source"]) == (None, "none")


def test_the_chronology_shows_each_date_with_its_provenance_undated_last(
    client: TestClient,
) -> None:
    chronology = client.get("/api/people/MOS1/documents", headers=AUTH).json()
    shown = [(d["document_date"], d["date_source"]) for d in chronology["documents"]]
    assert shown == [("2021-06-01", "manifest"), ("2019-06-15", "text"), (None, "none")]
