"""The render stage on a loaded synthetic archive: every readable document gets a rendition,
made once, twins share one, a failure is recorded on the rendition and never on the document,
and `escr verify` re-hashes rendition blobs too (issue 13, section 5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import renditions
from catalog.db import session_factory
from catalog.models import Document
from catalog.models_renditions import Rendition
from core.clock import utcnow
from core.settings import Settings, get_settings
from records.fixity import verify_blobs
from storage.base import content_key
from storage.factory import make_blob_store
from storage.local import LocalBlobStore
from workers.load import limits_from, load_archive
from workers.render.stage import RenderCounts, render_documents, render_waiting
from workers.sandbox import SandboxPool


@dataclass
class Loaded:
    settings: Settings
    summary: dict[str, object]
    store: LocalBlobStore
    expected: list[dict[str, str]]

    def session(self) -> Session:
        return session_factory(self.settings.database_url)()


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory, archive_dir: Path, expected: list[dict[str, str]]
) -> Iterator[Loaded]:
    """The shared synthetic archive loaded with --render (workers 2), once for the module:
    each test changes only what it made itself, or reads."""
    home = tmp_path_factory.mktemp("rendered") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESCR_HOME", str(home))
        for name in ("ESCR_DATABASE__URL", "ESCR_STORAGE__BACKEND", "ESCR_INDEX__BACKEND"):
            patch.delenv(name, raising=False)
        get_settings.cache_clear()
        settings = get_settings()
        summary = load_archive(
            settings,
            manifest=archive_dir / "manifest.csv",
            people=archive_dir / "people.csv",
            workers=2,
            progress=False,
            render=True,
        )
        store = make_blob_store(settings)
        assert isinstance(store, LocalBlobStore)
        yield Loaded(settings, summary, store, expected)
    get_settings.cache_clear()


@pytest.fixture
def pool(loaded: Loaded, tmp_path: Path) -> Iterator[SandboxPool]:
    with SandboxPool(1, limits_from(loaded.settings), tmp_path / "render-pool") as made:
        yield made


def test_every_readable_document_has_a_rendition_that_opens(loaded: Loaded) -> None:
    with loaded.session() as session:
        documents = session.scalars(select(Document).where(Document.sha256.is_not(None))).all()
        rows = {r.document_id: r for r in session.scalars(select(Rendition))}
        indexed = [d for d in documents if d.state == "indexed"]
        assert indexed and all(d.id in rows for d in indexed)
        methods: Counter[str] = Counter()
        for document in indexed:
            row = rows[document.id]
            assert row.version == document.version and row.source_sha256 == document.sha256
            if row.sha256 is None:
                # Only a type no rendition is made of may lack one among readable documents.
                assert row.reason == "unsupported_type", (document.mime, row.detail)
                continue
            methods[row.method] += 1
            with loaded.store.local_copy(content_key(row.sha256)) as pdf:
                assert len(PdfReader(pdf).pages) == row.pages >= 1
    # The archive's mix: PDFs as they are, scans OCRed, office files, emails and text.
    assert methods["original"] and methods["ocr"] and methods["libreoffice"]
    assert methods["message"] and methods["text"]
    counts = loaded.summary["renditions"]
    assert isinstance(counts, dict) and counts["made"] + counts["original"] >= len(methods)


def test_a_failed_rendition_leaves_its_document_as_it_was(loaded: Loaded) -> None:
    """Damaged files (quarantined corrupt) are tried once: a repair may give a rendition; a
    failure is recorded on the rendition row, and the document keeps its own state."""
    damaged = {
        (row["source_system"], row["source_document_id"])
        for row in loaded.expected
        if row["expected_reason"] == "corrupt"
    }
    assert damaged
    with loaded.session() as session:
        for document in session.scalars(select(Document)):
            if (document.source_system, document.source_document_id) not in damaged:
                continue
            assert (document.state, document.reason) == ("quarantined", "corrupt")
            row = renditions.current(session, document)
            assert row is not None
            assert row.sha256 is not None or (row.reason and row.detail), row.detail


def test_made_once_and_a_new_version_waits_for_its_own(loaded: Loaded, pool: SandboxPool) -> None:
    with loaded.session() as session:
        before = {(r.id, r.made_at) for r in session.scalars(select(Rendition))}
        again = render_waiting(session, loaded.store, pool)
        assert again.as_json() == RenderCounts().as_json()
        assert {(r.id, r.made_at) for r in session.scalars(select(Rendition))} == before
        document = session.scalars(
            select(Document).where(Document.state == "indexed", Document.mime == "text/plain")
        ).first()
        assert document is not None
        document.version += 1
        session.flush()
        assert [d.id for d in renditions.waiting(session)] == [document.id]


def test_twins_share_one_rendition(loaded: Loaded, pool: SandboxPool) -> None:
    with loaded.session() as session:
        original = session.scalars(
            select(Document).where(Document.state == "indexed", Document.mime == "image/tiff")
        ).first()
        assert original is not None
        made = renditions.current(session, original)
        assert made is not None and made.sha256 is not None
        twin = Document(
            source_system="TWIN",
            source_document_id="T1",
            sha256=original.sha256,
            mime=original.mime,
            state="indexed",
            pages=original.pages,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(twin)
        session.flush()
        counts = RenderCounts()
        render_documents(session, loaded.store, pool, [twin], counts)
        assert (counts.shared, counts.made) == (1, 0)
        shared = renditions.current(session, twin)
        assert shared is not None and shared.sha256 == made.sha256


def test_verify_rehashes_rendition_blobs(loaded: Loaded) -> None:
    with loaded.session() as session:
        assert verify_blobs(session, loaded.store).passed
        row = session.scalars(select(Rendition).where(Rendition.method == "message")).first()
        assert row is not None and row.sha256 is not None
        path = loaded.store.root / content_key(row.sha256)
        path.chmod(0o644)
        tampered = bytearray(path.read_bytes())
        tampered[len(tampered) // 2] ^= 0xFF
        path.write_bytes(bytes(tampered))
        report = verify_blobs(session, loaded.store)
        assert report.mismatched == [row.sha256]


def test_the_expected_phrase_is_in_each_scans_text_layer(loaded: Loaded) -> None:
    """A scan's rendition carries the words OCR read, where a search for them finds them."""
    phrases = {
        (row["source_system"], row["source_document_id"]): row["phrase"]
        for row in loaded.expected
        if row["phrase"]
    }
    checked = 0
    with loaded.session() as session:
        for document in session.scalars(select(Document).where(Document.mime.like("image/%"))):
            row = renditions.current(session, document)
            phrase = phrases.get((document.source_system, document.source_document_id))
            if row is None or row.sha256 is None or not phrase:
                continue
            with loaded.store.local_copy(content_key(row.sha256)) as pdf:
                text = " ".join(p.extract_text() or "" for p in PdfReader(pdf).pages)
            assert phrase.lower() in " ".join(text.split()).lower(), (phrase, text[:300])
            checked += 1
    assert checked
