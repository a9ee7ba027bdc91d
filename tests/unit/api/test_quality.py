"""GET/POST /api/batches/{batch}/quality and the page /migration/batches/{batch}/quality on
the tiny archive (D1 and D2 linked to MOS1 through the crosswalk, D3 queued), measured against
a truth that says D2 and D3 are MOS2's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog import access as rows
from catalog.db import session_factory
from core.clock import utcnow
from core.settings import Settings
from tests.factories.tiny import make_tiny_archive
from workers.load import load_archive

ADMIN = {"Authorization": "Bearer dev-token"}
PASSWORD = "correct horse battery"
TRUTH = (
    "source_system,source_document_id,person_ids,linkable,misfiled,doc_type\n"
    "PARIS,D1,MOS1,1,,case_note\n"
    "PARIS,D2,MOS2,1,name_dob,care_plan\n"
    "PARIS,D3,MOS2,1,,complaint\n"
)


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    manifest = make_tiny_archive(tmp_path / "archive")
    load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        batch="tiny",
        progress=False,
    )
    with session_factory(settings.database_url)() as session:
        for username, role in (("mig", "migration_officer"), ("pat", "practitioner")):
            rows.upsert_user(
                session, username=username, roles=[role], teams=[], password=PASSWORD, now=utcnow()
            )
        session.commit()
    with TestClient(create_app()) as test_client:
        yield test_client


def _log_in(client: TestClient, username: str) -> str:
    client.cookies.clear()
    answer = client.post("/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found is not None
    return found.group(1)


def test_the_api_reports_paths_and_measures_against_a_truth(client: TestClient) -> None:
    report = client.get("/api/batches/tiny/quality", headers=ADMIN).json()
    assert report["documents"] == 3
    assert {p["path"]: p["documents"] for p in report["paths"]} == {"crosswalk": 2, "review": 1}
    assert report["truth"] is None and report["types"] is None
    assert [b["pages"] for b in report["ocr"]["bins"]] == [0] * 6  # text files: no OCR

    answer = client.post("/api/batches/tiny/quality", headers=ADMIN, json={"truth_csv": TRUTH})
    assert answer.status_code == 200, answer.text
    truth = answer.json()["truth"]
    assert (truth["auto_links"], truth["wrong_auto_links"], truth["link_precision"]) == (2, 1, 0.5)
    assert truth["auto_recall"] == pytest.approx(1 / 3)
    assert (truth["misfiled"], truth["misfiled_caught"]) == (1, 0)


def test_the_api_refuses_what_it_cannot_measure(client: TestClient) -> None:
    assert client.get("/api/batches/tiny/quality").status_code == 401
    assert client.get("/api/batches/nope/quality", headers=ADMIN).status_code == 404
    bad = client.post(
        "/api/batches/tiny/quality", headers=ADMIN, json={"truth_csv": "id,who\nD1,MOS1\n"}
    )
    assert bad.status_code == 422
    assert bad.json()["error"] == "InvalidInput" and "person_ids" in bad.json()["detail"]


def test_the_page_shows_the_report_and_measures_an_uploaded_truth(client: TestClient) -> None:
    csrf = _log_in(client, "mig")
    page = client.get("/migration/batches/tiny/quality")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    html = page.text
    assert "Measured accuracy: batch tiny" in html
    assert re.search(r">Crosswalk</th>.*?>2</span>", html, re.S)
    assert "No learned type model yet" in html
    assert " style=" not in html and "<script" not in html  # the CSP allows neither inline

    measured = client.post(
        "/migration/batches/tiny/quality",
        data={"csrf": csrf},
        files={"truth": ("truth.csv", TRUTH.encode(), "text/csv")},
    )
    assert measured.status_code == 200
    figures = dict(
        re.findall(
            r'<th scope="row">([^<]+)</th>\s*<td class="num"><strong>([^<]+)<', measured.text
        )
    )
    assert figures["Link precision"] == "0.500"
    assert figures["Wrong automatic links"] == "1"
    assert "not met" in measured.text  # one wrong automatic link, where the target is 0
    assert 'id="truth-matrix"' in measured.text

    wrong = client.post(
        "/migration/batches/tiny/quality",
        data={"csrf": csrf},
        files={"truth": ("people.csv", b"person_id,team\nMOS1,A\n", "text/csv")},
    )
    assert wrong.status_code == 422
    assert re.search(
        r'role="alert"><p>That file could not be used: .*source_document_id', wrong.text
    )

    forged = client.post(
        "/migration/batches/tiny/quality",
        data={"csrf": "not-the-token"},
        files={"truth": ("truth.csv", TRUTH.encode(), "text/csv")},
    )
    assert forged.status_code == 403


def test_a_practitioner_may_not_read_it(client: TestClient) -> None:
    _log_in(client, "pat")
    assert client.get("/migration/batches/tiny/quality").status_code == 403
