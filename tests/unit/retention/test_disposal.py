"""Sweep, review with separation of duties, holds, execution and certificates."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.documents import get_text
from catalog.models import Blob, Document
from catalog.models_retention import DisposalItem
from core.errors import Conflict, PermissionDenied
from core.settings import Settings
from indexer.embedded import EmbeddedIndex
from retention import certificates, disposal, holds
from retention.destroy import execute
from retention.evaluate import Evaluator
from retention.verify import verify_destruction
from storage.base import content_key
from storage.local import LocalBlobStore
from tests.unit.retention.conftest import AddDoc, add_person

TODAY = date(2024, 6, 1)
WHY = "past its period; checked against the file"


def _propose(session: Session, evaluator: Evaluator) -> int:
    proposal, _ = disposal.sweep(session, evaluator, actor="alice", today=TODAY)
    assert proposal is not None
    return proposal.id


def _execute(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    proposal_id: int,
):  # type: ignore[no-untyped-def]
    return execute(
        session,
        proposal_id,
        actor="dave",
        evaluator=evaluator,
        store=store,
        index=index,
        home=settings.home,
        today=TODAY,
    )


def _adult_doc(session: Session, add_doc: AddDoc, pid: str = "A1", **kw: object) -> Document:
    add_person(session, pid, service="adults", case_closure_date="2001-01-01")
    return add_doc([pid], **kw)


def test_execution_removes_every_copy_and_certifies(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    doc = _adult_doc(session, add_doc)
    sha, key = doc.sha256, content_key(doc.sha256 or "")
    proposal_id = _propose(session, evaluator)
    disposal.review(session, proposal_id, actor="bob", decision="approve", justification=WHY)
    outcome = _execute(session, settings, evaluator, store, index, proposal_id)
    session.commit()
    assert outcome.counts == {"destroyed": 1}
    assert not store.exists(key) and session.get(Blob, sha) is None
    assert get_text(session, doc.id) == "" and index.get(doc.id) is None
    assert session.get(Document, doc.id).state == "destroyed"  # type: ignore[union-attr]
    assert outcome.certificate_path is not None
    certificate = certificates.read_certificate(outcome.certificate_path)
    public = (settings.home / "keys" / certificates.PUBLIC_NAME).read_bytes()
    assert certificates.verify_signature(certificate, public)
    assert (
        verify_destruction(session, certificate, public_key_pem=public, store=store, index=index)
        == []
    )
    forged = copy.deepcopy(certificate)
    forged["body"]["items"][0]["record_class"] = "complaints"
    assert not certificates.verify_signature(forged, public)


def test_the_proposer_cannot_approve(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    _adult_doc(session, add_doc)
    proposal_id = _propose(session, evaluator)
    with pytest.raises(PermissionDenied):
        disposal.review(session, proposal_id, actor="alice", decision="approve", justification=WHY)


def test_childrens_records_need_two_distinct_approvers(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_person(session, "C1", service="children", date_of_birth=date(1950, 1, 1))
    add_doc(["C1"])
    proposal_id = _propose(session, evaluator)
    first = disposal.review(
        session, proposal_id, actor="bob", decision="approve", justification=WHY
    )
    assert first["awaiting_second"] == 1
    with pytest.raises(Conflict):
        disposal.review(session, proposal_id, actor="bob", decision="approve", justification=WHY)
    second = disposal.review(
        session, proposal_id, actor="carol", decision="approve", justification=WHY
    )
    assert second["approved"] == 1


def test_a_justification_is_required(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    _adult_doc(session, add_doc)
    proposal_id = _propose(session, evaluator)
    with pytest.raises(Exception, match="justification"):
        disposal.review(session, proposal_id, actor="bob", decision="approve", justification=" ")


def test_a_hold_made_after_approval_stops_destruction(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    doc = _adult_doc(session, add_doc)
    proposal_id = _propose(session, evaluator)
    disposal.review(session, proposal_id, actor="bob", decision="approve", justification=WHY)
    holds.add_hold(
        session,
        name="COVID-19 inquiry",
        reason_type="inquiry",
        authority="Inquiry rule 9 request",
        owner="ig",
        criteria={"person_ids": ["A1"]},
        actor="ig",
    )
    outcome = _execute(session, settings, evaluator, store, index, proposal_id)
    assert outcome.counts == {"blocked": 1} and outcome.certificate_id is None
    item = session.scalar(select(DisposalItem).where(DisposalItem.document_id == doc.id))
    assert item is not None and item.detail.startswith("held by hold")
    assert store.exists(content_key(doc.sha256 or "")) and index.get(doc.id) is not None


def test_a_hold_catches_documents_loaded_after_it(
    session: Session, evaluator: Evaluator, add_doc: AddDoc
) -> None:
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01")
    holds.add_hold(
        session,
        name="claim",
        reason_type="litigation",
        authority="solicitor letter",
        owner="ig",
        criteria={"query": "housing disrepair"},
        actor="ig",
    )
    add_doc(["A1"], text="a note about housing disrepair")
    proposal, summary = disposal.sweep(session, evaluator, actor="alice", today=TODAY)
    assert proposal is None and summary["held"] == 1


def test_releasing_a_hold_yields_a_reappraisal_list_and_destroys_nothing(
    session: Session, evaluator: Evaluator, store: LocalBlobStore, add_doc: AddDoc
) -> None:
    doc = _adult_doc(session, add_doc)
    hold, matched = holds.add_hold(
        session,
        name="IICSA",
        reason_type="inquiry",
        authority="IICSA moratorium",
        owner="ig",
        criteria={"classes": ["adult_social_care"]},
        actor="ig",
    )
    assert matched == 1
    review = holds.release_hold(session, hold.id, actor="ig", reason="inquiry closed")
    assert [r["document_id"] for r in review] == [doc.id]
    assert store.exists(content_key(doc.sha256 or ""))


def test_content_shared_with_a_surviving_document_is_kept(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    doc = _adult_doc(session, add_doc, content=b"same letter")
    add_person(session, "C9", service="children", date_of_birth=date(2015, 1, 1))
    survivor = add_doc(["C9"], content=b"same letter")
    sha = doc.sha256 or ""
    proposal_id = _propose(session, evaluator)
    disposal.review(session, proposal_id, actor="bob", decision="approve", justification=WHY)
    outcome = _execute(session, settings, evaluator, store, index, proposal_id)
    assert outcome.counts == {"destroyed": 1}
    assert store.exists(content_key(sha)) and session.get(Blob, sha) is not None
    assert index.get(doc.id) is None and index.get(survivor.id) is not None


def _bag_files(package: Path) -> dict[str, str]:
    """path -> sha256 of every payload file, as the package's manifest lists them."""
    lines = (package / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    return {path: sha for sha, path in (line.split("  ", 1) for line in lines)}


def test_transfer_hands_the_archive_a_checked_package_then_removes_every_copy(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    doc = _adult_doc(session, add_doc, text="a placement review to keep for the archive")
    sha, key = doc.sha256 or "", content_key(doc.sha256 or "")
    with store.open(key) as handle:
        original = handle.read()
    proposal_id = _propose(session, evaluator)
    disposal.review(
        session, proposal_id, actor="bob", decision="approve", justification=WHY, action="transfer"
    )
    outcome = _execute(session, settings, evaluator, store, index, proposal_id)
    session.commit()
    assert outcome.counts == {"transferred": 1}
    package = outcome.transfer_package
    assert package is not None and package.parent == settings.home / "transfers"
    # A BagIt package the archive can check without escr: every payload file's bytes match.
    assert (package / "bagit.txt").read_text().startswith("BagIt-Version: 1.0")
    files = _bag_files(package)
    for path, expected in files.items():
        assert hashlib.sha256((package / path).read_bytes()).hexdigest() == expected
    (payload,) = [p for p in files if p != "data/metadata.json"]
    assert (package / payload).read_bytes() == original and files[payload] == sha
    metadata = json.loads((package / "data" / "metadata.json").read_text())
    (described,) = metadata["documents"]
    assert described["document_id"] == doc.id and described["person_ids"] == ["A1"]
    # ...and the service keeps no copy, as after destruction, with a certificate saying so.
    assert not store.exists(key) and index.get(doc.id) is None
    assert get_text(session, doc.id) == ""
    assert outcome.certificate_path is not None
    certificate = certificates.read_certificate(outcome.certificate_path)
    (item,) = certificate["body"]["items"]
    assert item["action"] == "transfer" and item["transfer_package"].startswith(package.name)
    public = (settings.home / "keys" / certificates.PUBLIC_NAME).read_bytes()
    assert (
        verify_destruction(session, certificate, public_key_pem=public, store=store, index=index)
        == []
    )


def test_a_transfer_whose_package_cannot_be_written_removes_nothing(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
) -> None:
    """A store that gives back other bytes than the content address says stops the transfer:
    the document stays, blocked with the reason, and no package is left half written."""
    doc = _adult_doc(session, add_doc)
    key = content_key(doc.sha256 or "")
    (store.root / key).chmod(0o644)
    (store.root / key).write_bytes(b"not the bytes that were loaded")
    proposal_id = _propose(session, evaluator)
    disposal.review(
        session, proposal_id, actor="bob", decision="approve", justification=WHY, action="transfer"
    )
    outcome = _execute(session, settings, evaluator, store, index, proposal_id)
    assert outcome.counts == {"blocked": 1} and outcome.transfer_package is None
    item = session.scalar(select(DisposalItem).where(DisposalItem.document_id == doc.id))
    assert item is not None and "transfer package not written" in item.detail
    assert store.exists(key) and index.get(doc.id) is not None
    transfers = settings.home / "transfers"
    assert not transfers.exists() or list(transfers.iterdir()) == []
