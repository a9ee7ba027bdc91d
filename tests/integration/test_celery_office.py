"""Office files through Celery: extraction of the types LibreOffice reads goes to the convert
queue, served here by a worker of its own (as `convert-worker` in docker-compose), whose warm
LibreOffice reads them; the rest stays on the default queue's worker."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document, DocumentText
from core.states import RowState
from tests.factories import office
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from workers.celery_load import load_via_celery

pytestmark = pytest.mark.integration
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Agnes,Thornbury,2010-01-01,,,children\n"
)


@pytest.fixture
def stack(services: Services, tmp_path: Path) -> Iterator[Stack]:
    value = Stack(services, tmp_path / "home")
    value.home.mkdir()
    value.create()
    yield value
    value.drop()


def _archive(root: Path) -> Path:
    sources, files = root / "sources", root / "files"
    sources.mkdir(parents=True)
    letter = office.text_document(
        sources / "letter.odt", "Case note", ["Agnes Thornbury was seen about respite."]
    )
    book = office.spreadsheet(
        sources / "book.ods",
        {"Visits": [["12/03/2004", "Thornbury"]], "Contacts": [["grandmother", "weekly"]]},
    )
    made = {
        "D-doc": office.saved_as(letter, "doc", files),
        "D-xls": office.saved_as(book, "xls", files),
    }
    (files / "note.txt").write_text("Agnes Thornbury telephoned the duty desk.\n")
    made["D-txt"] = files / "note.txt"
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "legacy_person_id", "file_path"])
        for source_id, path in made.items():
            writer.writerow(["PARIS", source_id, "100", str(path.relative_to(root))])
    return root


def test_office_files_are_read_by_the_convert_queue_worker(stack: Stack, tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    stack.start_worker("main", queues="default,ocr")
    stack.start_worker("office", queues="convert")
    settings = stack.settings()
    load_via_celery(
        settings,
        manifest=archive / "manifest.csv",
        people=archive / "people.csv",
        progress=False,
        timeout_s=300,
    )
    with session_factory(settings.database_url)() as session:
        documents = {d.source_document_id: d for d in session.scalars(select(Document))}
        texts = dict(session.execute(select(DocumentText.document_id, DocumentText.text)).all())
    for source_id in ("D-doc", "D-xls", "D-txt"):
        document = documents[source_id]
        assert document.state == RowState.INDEXED, (source_id, document.reason, document.detail)
        assert "Thornbury" in texts[document.id]
    assert documents["D-doc"].engine == documents["D-xls"].engine == "libreoffice"
    assert "Contacts" in texts[documents["D-xls"].id]
    office_log = (stack.home / "worker-office.log").read_text()
    main_log = (stack.home / "worker-main.log").read_text()
    assert office_log.count("escr.convert[") >= 2 and "escr.extract[" not in office_log
    assert "escr.convert[" not in main_log
