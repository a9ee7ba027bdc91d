"""Renditions leave with their document: destruction removes the PDF (unless a twin still
uses it), a transfer package carries it, and verify-destruction finds nothing left."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from catalog import renditions
from catalog.models import Blob, Document
from core.settings import Settings
from indexer.embedded import EmbeddedIndex
from retention import certificates, disposal
from retention.destroy import Outcome, execute
from retention.evaluate import Evaluator
from retention.verify import verify_destruction
from storage.base import content_key
from storage.local import LocalBlobStore
from tests.unit.retention.conftest import AddDoc, add_person
from workers.load import limits_from
from workers.render.stage import RenderCounts, render_documents
from workers.sandbox import SandboxPool

TODAY = date(2024, 6, 1)
WHY = "past its period; checked against the file"


@pytest.fixture
def pool(settings: Settings, tmp_path: Path) -> Iterator[SandboxPool]:
    with SandboxPool(1, limits_from(settings), tmp_path / "render") as made:
        yield made


def _rendered(
    session: Session, store: LocalBlobStore, pool: SandboxPool, documents: list[Document]
) -> str:
    """Render text documents; the rendition's SHA-256 (twins share it)."""
    for document in documents:
        document.mime = "text/plain"
    render_documents(session, store, pool, documents, RenderCounts())
    session.flush()
    made = {renditions.current(session, d).sha256 for d in documents}  # type: ignore[union-attr]
    (sha,) = made
    assert sha is not None and sha != documents[0].sha256 and store.exists(content_key(sha))
    return sha


def _leave(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    action: str,
) -> Outcome:
    proposal, _ = disposal.sweep(session, evaluator, actor="alice", today=TODAY)
    assert proposal is not None
    disposal.review(
        session, proposal.id, actor="bob", decision="approve", justification=WHY, action=action
    )
    outcome = execute(
        session,
        proposal.id,
        actor="dave",
        evaluator=evaluator,
        store=store,
        index=index,
        home=settings.home,
        today=TODAY,
    )
    session.commit()
    return outcome


def _verified(
    session: Session,
    settings: Settings,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    outcome: Outcome,
) -> list[str]:
    assert outcome.certificate_path is not None
    certificate = certificates.read_certificate(outcome.certificate_path)
    public = (settings.home / "keys" / certificates.PUBLIC_NAME).read_bytes()
    return verify_destruction(session, certificate, public_key_pem=public, store=store, index=index)


def test_destruction_removes_the_rendition_and_verify_finds_nothing_left(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
    pool: SandboxPool,
) -> None:
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01")
    doc = add_doc(["A1"])
    pdf = _rendered(session, store, pool, [doc])
    outcome = _leave(session, settings, evaluator, store, index, "destroy")
    assert outcome.counts == {"destroyed": 1}
    assert not store.exists(content_key(pdf)) and session.get(Blob, pdf) is None
    assert renditions.renditions_of(session, doc.id) == []
    assert _verified(session, settings, store, index, outcome) == []


def test_a_twins_rendition_survives_the_other_twins_destruction(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
    pool: SandboxPool,
) -> None:
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01")
    add_person(session, "K1", service="adults")  # open case: not due, kept
    content = b"the same letter, filed twice"
    leaving, staying = add_doc(["A1"], content=content), add_doc(["K1"], content=content)
    pdf = _rendered(session, store, pool, [leaving, staying])
    outcome = _leave(session, settings, evaluator, store, index, "destroy")
    assert outcome.counts == {"destroyed": 1}
    assert store.exists(content_key(pdf)) and session.get(Blob, pdf) is not None
    assert renditions.current(session, staying).sha256 == pdf  # type: ignore[union-attr]
    assert _verified(session, settings, store, index, outcome) == []


def test_a_transfer_package_carries_the_rendition(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
    add_doc: AddDoc,
    pool: SandboxPool,
) -> None:
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01")
    doc = add_doc(["A1"], content=b"a placement review to keep for the archive")
    pdf = _rendered(session, store, pool, [doc])
    outcome = _leave(session, settings, evaluator, store, index, "transfer")
    assert outcome.counts == {"transferred": 1}
    package = outcome.transfer_package
    assert package is not None
    lines = (package / "manifest-sha256.txt").read_text().splitlines()
    manifest = {path: sha for sha, path in (line.split("  ", 1) for line in lines)}
    rendition_path = f"data/{doc.id}/v1.rendition.pdf"
    assert manifest[rendition_path] == pdf
    copied = (package / rendition_path).read_bytes()
    assert hashlib.sha256(copied).hexdigest() == pdf
    assert "placement review" in PdfReader(package / rendition_path).pages[0].extract_text()
    (described,) = json.loads((package / "data" / "metadata.json").read_text())["documents"]
    assert described["versions"][0]["rendition"] == {
        "sha256": pdf,
        "path": rendition_path,
        "method": "text",
        "pages": 1,
    }
    # ...and the service keeps no copy of it.
    assert not store.exists(content_key(pdf))
    assert _verified(session, settings, store, index, outcome) == []
