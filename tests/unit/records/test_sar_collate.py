"""Collation of a subject access request against a loaded archive (issue 15): a person with
three legacy IDs in three systems, a same-name person born on another day who must not be
included, a document on someone else that mentions the subject (a candidate, never included),
a copy of the same file (shown once), a near-duplicate, an email thread, and the legal hold."""

from __future__ import annotations

import json
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document
from catalog.models_retention import LegalHold
from catalog.models_sar import SarItem
from cli.main import main
from core.settings import Settings
from records import sar, sar_collate
from retention.hold_match import holds_on
from retention.sar_hold import SarHolds
from workers.load import load_archive

PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100;CARE:A77;ICS:0042,Jane,Smith,2009-04-05,,9434765919,children\n"
    "MOS2,Mosaic,PARIS:200,Jane,Smith,2011-08-19,,4010232137,children\n"
    "MOS3,Mosaic,PARIS:300,Tom,Brown,2008-01-01,,,children\n"
)
VISIT = (
    "Home visit to Jane Smith at the family home. Jane was in good spirits and showed the "
    "social worker her school reports. Her mother said the new bus route to school works well "
    "and that the respite weekends with her aunt have helped everyone. Next visit in four weeks."
)
FILES = {
    "paris/visit.txt": VISIT,
    # One word changed: the same page, at least 90% the same text.
    "paris/visit_copy.txt": VISIT.replace("four weeks", "three weeks"),
    "care/assessment.txt": "Assessment of Jane Smith. Needs: stable school placement, "
    "contact with her father on alternate Saturdays, and a referral to CAMHS.",
    "ics/review.txt": "Looked after child review for Jane. Placement stable. Plan agreed by all.",
    "paris/nhs_only.txt": "Letter from the GP surgery about a patient, NHS number 943 476 5919, "
    "asking for the current placement address.",
    "paris/other_jane.txt": "Case note: Jane Smith, date of birth 19/08/2011, attended nursery "
    "today with her grandmother.",
    "paris/tom.txt": "Tom Brown's case note. Tom spoke about his friend Jane Smith (born "
    "05/04/2009) who lives on the same road.",
}


def _email(subject: str, message_id: str, reply_to: str | None) -> bytes:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, "sw@council.example", "x@y.z"
    message["Date"], message["Message-ID"] = "Mon, 03 Mar 2025 10:00:00 +0000", message_id
    if reply_to:
        message["In-Reply-To"], message["References"] = reply_to, reply_to
    message.set_content(f"{subject}: contact arrangements for Jane this half term.")
    return message.as_bytes()


MANIFEST = [
    ("PARIS", "P1", "100", "paris/visit.txt", "Home visit", "2025-01-10"),
    ("PARIS", "P2", "100", "paris/visit_copy.txt", "Home visit (copy)", "2025-01-11"),
    ("CARE", "C1", "A77", "care/assessment.txt", "Assessment", "2024-06-01"),
    ("ICS", "I1", "0042", "ics/review.txt", "LAC review", "2024-09-01"),
    ("ICS", "I2", "42", "ics/review.txt", "LAC review (again)", "2024-09-02"),
    ("PARIS", "P3", "", "paris/nhs_only.txt", "GP letter", "2025-02-01"),
    ("PARIS", "P4", "200", "paris/other_jane.txt", "Case note", "2025-02-02"),
    ("PARIS", "P5", "300", "paris/tom.txt", "Case note", "2025-02-03"),
    ("PARIS", "E1", "100", "mail/first.eml", "", "2025-03-03"),
    ("PARIS", "E2", "100", "mail/reply.eml", "", "2025-03-04"),
]


def _archive(root: Path) -> Path:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "mail").mkdir()
    (root / "mail/first.eml").write_bytes(
        _email("Contact arrangements", "<first@council.example>", None)
    )
    (root / "mail/reply.eml").write_bytes(
        _email("RE: Contact arrangements", "<reply@council.example>", "<first@council.example>")
    )
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    lines = [
        "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
        "document_date,sha256"
    ]
    lines += [f"{s},{d},{p},{f},{t},NOTE,{when}," for s, d, p, f, t, when in MANIFEST]
    (root / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "manifest.csv"


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> Settings:
    manifest = _archive(tmp_path / "archive")
    load_archive(settings, manifest=manifest, people=manifest.parent / "people.csv", progress=False)
    return settings


def _by_source(session: object, items: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    ids = {d.id: d.source_document_id for d in session.scalars(select(Document))}  # type: ignore[attr-defined]
    return {ids[int(str(i["document_id"]))]: i for i in items}


def test_collation_finds_every_identifier_and_not_the_namesake(loaded: Settings) -> None:
    holds = SarHolds(None)
    with session_factory(loaded.database_url)() as session:
        request = sar.open_request(
            session,
            person_id="MOS1",
            received=date(2025, 3, 10),
            actor="ig1",
            today=date(2025, 3, 10),
            holds=holds,
        )
        counts = sar_collate.collate(session, request.id, actor="ig1", holds=holds)
        items = _by_source(session, sar_collate.items_json(session, request.id))
        session.commit()

        # Every legacy ID of the three systems, the NHS number in a letter linked to no one,
        # the emails; never the other Jane Smith (born 2011) or her document.
        assert set(items) == {"P1", "P2", "C1", "I1", "I2", "P3", "P5", "E1", "E2"}
        assert "P4" not in items
        for source, system in (("P1", "PARIS:100"), ("C1", "CARE:A77"), ("I1", "ICS:42")):
            assert items[source]["how_linked"] == "crosswalk"
            assert system in str(items[source]["link_detail"])
        assert items["P3"]["status"] == "included"
        assert "9434765919" in str(items["P3"]["link_detail"])
        # Tom's note mentions her with her date of birth: offered, not included.
        assert (items["P5"]["status"], items["P5"]["how_linked"]) == ("candidate", "mention")
        assert "with their date of birth 2009-04-05" in str(items["P5"]["link_detail"])
        # The same file twice is shown once.
        assert items["I2"]["status"] == "excluded"
        assert items["I2"]["duplicate_of"] == items["I1"]["document_id"]
        # One word changed: a near-duplicate group of the two visits.
        assert items["P1"]["near_duplicate_group"] == items["P2"]["near_duplicate_group"]
        assert items["P1"]["near_duplicate_group"] is not None
        assert items["C1"]["near_duplicate_group"] is None
        # The reply is in the first message's thread.
        assert items["E1"]["thread_key"] == items["E2"]["thread_key"] == "contact arrangements"
        assert counts["candidates"] == 1 and counts["duplicates"] == 1

        # The hold (reason type sar) keeps everything collated, and closing releases it.
        hold = session.get(LegalHold, request.hold_id)
        assert hold is not None and hold.reason_type == "sar"
        collated = list(session.scalars(select(SarItem.document_id)))
        assert set(holds_on(session, collated)) == set(collated)
        p4 = session.scalars(select(Document.id).where(Document.source_document_id == "P4")).one()
        assert p4 not in holds_on(session, [p4])
        _closed, review = sar.close(session, request.id, actor="ig1", reason="sent", holds=holds)
        assert {r["document_id"] for r in review} == set(collated)
        assert holds_on(session, collated) == {}


def test_a_reviewers_decision_survives_collating_again(loaded: Settings) -> None:
    holds = SarHolds(None)
    with session_factory(loaded.database_url)() as session:
        request = sar.open_request(
            session,
            person_id="MOS1",
            received=date(2025, 3, 10),
            actor="ig1",
            today=date(2025, 3, 10),
            holds=holds,
        )
        sar_collate.collate(session, request.id, actor="ig1", holds=holds)
        candidate = session.scalars(select(SarItem).where(SarItem.status == "candidate")).one()
        candidate.status, candidate.decided_by = "included", "ig1"
        sar_collate.collate(session, request.id, actor="ig1", holds=holds)
        again = session.scalars(
            select(SarItem).where(SarItem.document_id == candidate.document_id)
        ).one()
        assert (again.status, again.decided_by) == ("included", "ig1")
        assert len(list(session.scalars(select(SarItem)))) == 9


def test_the_cli_opens_and_collates(loaded: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sar", "open", "--person", "MOS1", "--received", "2025-01-31"]) == 0
    opened = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert opened["due"] == "2025-02-28" and opened["status"] == "open"
    assert main(["sar", "collate", str(opened["id"]), "--json"]) == 0
    collated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert collated["documents"] == 9 and len(collated["items"]) == 9
    assert {i["how_linked"] for i in collated["items"]} >= {"crosswalk", "mention"}
    # A person who is not in the catalog is refused with a reason, not a traceback.
    assert main(["sar", "open", "--person", "NOPE", "--received", "2025-01-31"]) != 0


def test_the_api_mirrors_the_cli(loaded: Settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    auth = {"Authorization": "Bearer dev-token"}
    with TestClient(create_app()) as client:
        made = client.post(
            "/api/sar", json={"person_id": "MOS1", "received": "2025-11-30"}, headers=auth
        )
        assert made.status_code == 200, made.text
        sar_id, due = made.json()["id"], made.json()["due"]
        assert due == "2025-12-30"
        assert (
            client.post(
                "/api/sar",
                json={"person_id": "MOS1", "received": "2025-11-30", "today": "2025-12-01"},
                headers=auth,
            ).status_code
            == 422
        )
        paused = client.post(
            f"/api/sar/{sar_id}/pause",
            json={"reason_type": "identity", "reason": "asked for photo ID"},
            headers=auth,
        )
        assert paused.json()["status"] == "paused"
        resumed = client.post(f"/api/sar/{sar_id}/resume", json={}, headers=auth)
        assert resumed.json()["status"] == "open"
        # Received a year and more before the server's today: an extension now is too late.
        late = client.post(f"/api/sar/{sar_id}/extend", json={"reason": "complex"}, headers=auth)
        assert late.status_code == 422 and "within the first month" in late.json()["detail"]
        collated = client.post(f"/api/sar/{sar_id}/collate", json={}, headers=auth).json()
        assert collated["documents"] == 9 and collated["candidates"] == 1
        listed = client.get(f"/api/sar/{sar_id}/items", headers=auth).json()
        assert listed["items"] == collated["items"]
        assert sar_id in [
            r["id"] for r in client.get("/api/sar/due", headers=auth).json()["overdue"]
        ]
        # Closing releases a hold: a named person must, not the service token.
        refused = client.post(f"/api/sar/{sar_id}/close", json={"reason": "sent"}, headers=auth)
        assert refused.status_code == 403
        assert client.get("/api/sar/999999", headers=auth).status_code == 404
