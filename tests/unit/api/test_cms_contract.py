"""The CMS contract against the embedded default: the app in process, uploads run by its own
runner thread (tests/cms_harness; the same scenarios run on the scale-out stack in
tests/integration/test_cms_scaleout.py)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from catalog import service_accounts as accounts
from catalog.models import AuditEvent, Document, LedgerRow
from catalog.models_retention import RetentionDecision
from catalog.models_rounds import MetadataVersion
from core.clock import utcnow
from core.settings import get_settings
from tests.cms_harness import contract
from tests.cms_harness.client import CmsClient
from tests.cms_harness.documents import letter_pdf
from tests.unit.access.conftest import ADMIN, World
from workers.intake import UploadMetadata, register_upload

SCOPES = ["documents:read", "documents:write"]


def mosaic(world: World, scopes: list[str] = SCOPES, name: str = "mosaic") -> CmsClient:
    """Mosaic's service account with a key, acting for jsmith (a team-a practitioner: Ann
    MOS1 and Cara MOS3)."""
    world.add_user("jsmith", "practitioner", ["team-a"])
    with world.session() as session:
        _, issued = accounts.create_account(
            session, name=name, scopes=scopes, actor="test", now=utcnow()
        )
        session.commit()
    assert issued is not None
    return CmsClient(world.client, issued.token, on_behalf_of="jsmith")


def test_upload_is_searchable_through_the_same_pipeline(world: World) -> None:
    cms = mosaic(world)
    document_id = contract.upload_until_searchable(cms, "MOS1")
    with world.session() as session:
        document = session.get(Document, document_id)
        assert document is not None
        # The same stages as a loaded file: stored by content, typed, read by PDFium.
        assert (document.mime, document.engine, document.version) == (
            "application/pdf",
            "pdfium",
            1,
        )
        assert document.doc_type != ""
        row = session.scalars(select(LedgerRow).where(LedgerRow.document_id == document_id)).one()
        assert (row.state, row.change) == ("indexed", "new")
        uploaded = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "document_uploaded")
        ).one()
        assert (uploaded.actor, uploaded.on_behalf_of) == ("svc:mosaic", "jsmith")
        assert uploaded.target_id == str(document_id)
        looks = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "view_status", AuditEvent.target_id == str(document_id)
            )
        ).all()
        assert looks and {(e.actor, e.on_behalf_of) for e in looks} == {("svc:mosaic", "jsmith")}
    # An upload is not a migration round: the console's batches leave it out.
    listed = world.client.get("/api/batches", headers=ADMIN).json()
    assert listed and not [b for b in listed if b["batch"].startswith("cms/")]
    # Its own copy of the file goes once the blob store has it; what was sent stays described.
    folders = list((world.settings.home / "uploads").iterdir())
    assert [sorted(p.name for p in f.iterdir()) for f in folders] == [["upload.json"]]


def test_a_scan_is_ocred(world: World) -> None:
    contract.scan_is_ocred(mosaic(world), "MOS3")


def test_a_retry_with_the_same_key_stores_one_document(world: World) -> None:
    cms = mosaic(world)
    contract.retry_stores_once(cms, "MOS1")
    with world.session() as session:
        uploads = session.scalar(
            select(func.count()).select_from(Document).where(Document.source_system == "cms:mosaic")
        )
        assert uploads == 1


def test_a_new_version_and_a_correction_are_audited_with_the_caller(world: World) -> None:
    cms = mosaic(world)
    document_id = contract.version_then_correct(cms, "MOS1")
    with world.session() as session:
        versions = session.scalars(
            select(MetadataVersion).where(MetadataVersion.document_id == document_id)
        ).all()
        assert [v.version for v in versions] == [2]
        assert versions[0].changes["title"] == ["Plan", "Child protection plan"]
        events = {
            e.action: e
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.target_id == str(document_id))
            )
        }
        for action in ("document_new_version", "metadata_corrected"):
            assert (events[action].actor, events[action].on_behalf_of) == ("svc:mosaic", "jsmith")


def test_fetches_carry_etags(world: World) -> None:
    cms = mosaic(world)
    document_id = contract.upload_until_searchable(cms, "MOS1")
    contract.fetch_with_etags(cms, document_id)


def test_a_persons_documents_are_paged_and_filtered_newest_first(world: World) -> None:
    cms = mosaic(world)
    for day in ("2026-01-05", "2026-03-05", "2026-02-05"):
        stored = cms.upload("MOS3", letter_pdf(day), f"{day}.pdf", {"document_date": day})
        cms.wait_until_ended(stored.id)
    page = cms.documents_of("MOS3", limit=2)
    assert page["total"] == 4  # Cara's loaded letter too
    assert [d["document_date"] for d in page["documents"]] == ["2026-03-05", "2026-02-05"]
    rest = cms.documents_of("MOS3", limit=2, offset=2)
    assert [d["document_date"] for d in rest["documents"]] == ["2026-01-05", "2018-05-05"]
    dated = cms.documents_of("MOS3", date_from="2026-02-01", date_to="2026-02-28")
    assert [d["document_date"] for d in dated["documents"]] == ["2026-02-05"]
    letters = cms.documents_of("MOS3", type=page["documents"][0]["doc_type"])
    assert all(d["doc_type"] == page["documents"][0]["doc_type"] for d in letters["documents"])
    unchanged = cms.get("/api/people/MOS3/documents", etag=None, limit=2)
    again = cms.get("/api/people/MOS3/documents", etag=unchanged.headers["etag"], limit=2)
    assert again.status_code == 304


def test_size_and_type_limits_answer_clearly(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    cms = mosaic(world)
    exe = cms.upload_response("MOS1", b"MZ\x90\x00" + b"\x00" * 64, "setup.exe")
    assert exe.status_code == 415 and "pdf" in exe.json()["detail"]
    empty = cms.upload_response("MOS1", b"", "empty.pdf")
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    bad = cms.upload_response("MOS1", letter_pdf("x"), "a.pdf", {"document_date": "yesterday"})
    assert bad.status_code == 422 and "document_date" in bad.json()["detail"]
    unknown = cms.upload_response("MOS1", letter_pdf("x"), "a.pdf", {"colour": "blue"})
    assert unknown.status_code == 422
    monkeypatch.setenv("ESCR_INTAKE__MAX_MB", "1")
    get_settings.cache_clear()
    big = cms.upload_response("MOS1", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10), "big.pdf")
    assert big.status_code == 413 and "1 MB" in big.json()["detail"]
    assert list((world.settings.tmp_dir).glob("upload-*")) == []  # nothing left behind
    with world.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.source_system == "cms:mosaic")
            )
            == 0
        )


def test_uploads_sent_back_to_back_are_all_accepted_while_the_runner_writes(
    world: World,
) -> None:
    """A burst: each upload request writes while the runner thread commits the ones before
    (SQLite refused a request whose read had gone stale, "database is locked")."""
    cms = mosaic(world)
    stored = [
        cms.upload("MOS1", letter_pdf(f"burst{i}"), f"burst-{i}.pdf", {"title": f"Burst {i}"})
        for i in range(8)
    ]
    assert len({s.id for s in stored}) == 8
    for s in stored:
        assert cms.wait_until_ended(s.id)["state"] == "indexed"


def test_an_upload_and_a_corrected_type_are_retention_evaluated(world: World) -> None:
    """Once indexed, an upload has a record class and a disposal decision, as a sweep would
    give it; a corrected type is decided again."""
    cms = mosaic(world)
    stored = cms.upload("MOS1", letter_pdf("kept"), "letter.pdf", {"doc_type": "correspondence"})
    cms.wait_until_ended(stored.id)
    deadline = time.monotonic() + 30
    while (retention := cms.get(f"/api/documents/{stored.id}").json()["retention"]) is None:
        assert time.monotonic() < deadline, "never evaluated"
        time.sleep(0.05)
    assert retention["status"] in ("scheduled", "retained", "due")
    with world.session() as session:
        before = session.get(RetentionDecision, stored.id)
        assert before is not None
        decided = (before.inputs, before.evaluated_at)
    fixed = cms.correct(stored.id, doc_type="court_legal", reason="filed as the wrong type")
    assert fixed.status_code == 200, fixed.text
    with world.session() as session:
        after = session.get(RetentionDecision, stored.id)
        assert after is not None
        # Decided again from the new type: other inputs, a later evaluation.
        assert after.inputs != decided[0] and after.evaluated_at > decided[1]


def test_uploads_accepted_before_a_restart_are_finished_after_it(world: World) -> None:
    """An upload registered (answered 202) but not run when the server stopped is run when
    it starts again: nothing accepted is left pending."""
    spooled = world.settings.tmp_dir / "upload-before-restart"
    spooled.write_bytes(letter_pdf("restarted"))
    with world.session() as session:
        intake = register_upload(
            session,
            home=world.settings.home,
            account="mosaic",
            on_behalf_of="jsmith",
            person_ids=["MOS1"],
            file_name="letter.pdf",
            spooled=spooled,
            metadata=UploadMetadata(title="Sent before the restart"),
            now=utcnow(),
        )
        session.commit()
    with TestClient(create_app()) as http:
        admin = CmsClient(http, "dev-token")
        assert admin.wait_until_ended(intake.document_id)["state"] == "indexed"


def test_a_damaged_file_ends_with_its_reason_not_an_error(world: World) -> None:
    """A truncated PDF is accepted (the door checks size and type, not content), then ends as a
    migrated one would: with the sandbox's reason on its status, kept for review."""
    cms = mosaic(world)
    whole = letter_pdf("damaged")
    stored = cms.upload("MOS1", whole[: len(whole) // 3], "damaged.pdf", {"title": "Damaged"})
    status = cms.wait_until_ended(stored.id)
    assert status["state"] in ("quarantined", "indexed"), status
    assert status["reason"] not in (None, "internal_error"), status
    with world.session() as session:
        document = session.get(Document, stored.id)
        assert document is not None and document.sha256  # the original kept
