"""records/quality_report.py: a batch's quality report. Decision paths, misfiled caught and the
OCR distribution by hand on the three-document tiny archive; then a small noisy synthetic
archive, its figures checked against the truth and the catalog counted another way."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.routes.quality import quality_report
from catalog.db import session_factory
from catalog.models import AuditEvent, Document, DocumentLink, ExceptionItem
from cli.main import main
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.settings import Settings, get_settings
from records.access import Caller, service_caller
from records.quality import measure_linking, parse_truth, read_truth
from records.quality_report import batch_quality
from tests.factories.tiny import make_tiny_archive
from workers import learn_types
from workers.load import load_archive
from workers.sources.mapping import load_mapping
from workers.synth.archive import make_archive
from workers.type_quality import type_quality

ADMIN = service_caller("cli:test")
PRACTITIONER = Caller(
    user_id="pat",
    roles=frozenset({"practitioner"}),
    grants=frozenset(),
    people=frozenset(),
    service=False,
)


def _load(settings: Settings, manifest: Path, batch: str) -> None:
    load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        batch=batch,
        progress=False,
    )


def _document(session: Session, source_id: str) -> Document:
    return session.scalars(select(Document).where(Document.source_document_id == source_id)).one()


@pytest.fixture
def tiny(settings: Settings, tmp_path: Path) -> Settings:
    _load(settings, make_tiny_archive(tmp_path / "archive"), "tiny")
    return settings


def test_decision_paths_and_misfiled_caught_by_hand(tiny: Settings) -> None:
    with session_factory(tiny.database_url)() as session:
        report = batch_quality(session, "tiny", caller=ADMIN)
        # D1 and D2 through PARIS:100's crosswalk entry; D3 has no legacy ID: queued.
        assert report["documents"] == 3
        assert {p["path"]: p["documents"] for p in report["paths"]} == {
            "crosswalk": 2,
            "review": 1,
        }
        assert all(p["meaning"] for p in report["paths"])
        assert report["misfiled_caught"]["documents"] == 0
        assert report["truth"] is None

        # A reviewer's link is its own path; a withheld link counts as caught once decided.
        d1, d2 = _document(session, "D1"), _document(session, "D2")
        session.scalars(
            select(DocumentLink).where(DocumentLink.document_id == d1.id)
        ).one().method = "manual"
        session.add(
            ExceptionItem(
                document_id=d2.id,
                kind="subject_mismatch",
                status="resolved",
                created_at=datetime(2026, 1, 1),
            )
        )
        session.flush()
        report = batch_quality(session, "tiny", caller=ADMIN)
        paths = [(p["path"], p["documents"]) for p in report["paths"]]
        assert paths == [("crosswalk", 1), ("manual", 1), ("review", 1)]  # PATH_MEANINGS order
        assert report["misfiled_caught"]["documents"] == 1


def test_only_console_roles_read_it_every_look_is_audited_and_a_batch_must_exist(
    tiny: Settings,
) -> None:
    with session_factory(tiny.database_url)() as session:
        with pytest.raises(PermissionDenied):
            batch_quality(session, "tiny", caller=PRACTITIONER)
        with pytest.raises(NotFound):
            batch_quality(session, "no-such-batch", caller=ADMIN)
        batch_quality(session, "tiny", caller=ADMIN)
        looks = session.scalars(select(AuditEvent).where(AuditEvent.action == "view_quality")).all()
        assert [(e.actor, e.target_id) for e in looks] == [("cli:test", "tiny")]


def test_ocr_distribution_by_hand(tiny: Settings) -> None:
    with session_factory(tiny.database_url)() as session:
        d1, d2 = _document(session, "D1"), _document(session, "D2")
        d1.ocr_pages = 5
        d1.ocr_page_confidence = {"1": 0.45, "2": 0.79, "3": 0.8, "4": 1.0, "5": None}
        d2.ocr_pages = 1  # OCRed before page confidences were kept
        session.flush()
        ocr = batch_quality(session, "tiny", caller=ADMIN)["ocr"]
    assert (ocr["documents"], ocr["pages"], ocr["blank_pages"]) == (2, 5, 1)
    assert ocr["documents_without_page_confidence"] == 1
    assert [b["pages"] for b in ocr["bins"]] == [1, 0, 0, 1, 1, 1]
    assert [b["needs_review"] for b in ocr["bins"]] == [True] * 4 + [False] * 2
    assert ocr["pages_to_review"] == 2  # 0.45 and 0.79 are below 0.8; 0.8 is not
    assert ocr["mean"] == pytest.approx((0.45 + 0.79 + 0.8 + 1.0) / 4)


TINY_TRUTH = (
    "source_system,source_document_id,person_ids,linkable,misfiled,doc_type\n"
    "PARIS,D1,MOS1,1,,case_note\n"
    "PARIS,D2,MOS2,1,name_dob,care_plan\n"
    "PARIS,D3,MOS2,1,,complaint\n"
)


def test_truth_figures_are_the_batchs_own(tiny: Settings, tmp_path: Path) -> None:
    # A second batch with other documents: E1-E3, all truly MOS1's.
    other = tmp_path / "other"
    manifest = make_tiny_archive(other)
    manifest.write_text(manifest.read_text().replace("PARIS,D", "PARIS,E"), encoding="utf-8")
    _load(tiny, manifest, "other")
    truth = parse_truth([*TINY_TRUTH.splitlines(keepends=True), "PARIS,E1,MOS1,1,,case_note\n"])
    with session_factory(tiny.database_url)() as session:
        mine = batch_quality(session, "tiny", caller=ADMIN, truth=truth)["truth"]
        theirs = batch_quality(session, "other", caller=ADMIN, truth=truth)["truth"]
    assert (mine["truth_lines"], mine["documents"], theirs["documents"]) == (4, 3, 1)
    assert (mine["auto_links"], mine["wrong_auto_links"], mine["link_precision"]) == (2, 1, 0.5)
    assert (theirs["auto_links"], theirs["wrong_auto_links"]) == (1, 0)
    assert mine["type_confusion"]["classes"] == [
        "care_plan",
        "case_note",
        "complaint",
        "correspondence",
    ]
    # complaint (true) given as correspondence: row complaint, column correspondence.
    assert mine["type_confusion"]["counts"][2] == [0, 0, 0, 1]


def test_truth_without_source_system_or_with_person_id_reads_the_same(tiny: Settings) -> None:
    plain = parse_truth(TINY_TRUTH.splitlines(keepends=True))
    bare = parse_truth(
        ["\ufeffsource_document_id,person_id\n", "D1,MOS1\n", "D2,MOS2\n", "D3,MOS2\n", "D1,MOS9\n"]
    )
    assert [t.person_ids for t in bare] == [t.person_ids for t in plain]  # later D1 ignored
    with session_factory(tiny.database_url)() as session:
        a = measure_linking(session, plain, batch="tiny")
        b = measure_linking(session, bare, batch="tiny")
    assert (b.documents, b.auto_links, b.wrong_auto_links, b.auto_recall) == (
        a.documents,
        a.auto_links,
        a.wrong_auto_links,
        a.auto_recall,
    )
    with pytest.raises(InvalidInput, match="person_ids"):
        parse_truth(["source_document_id,owner\n", "D1,MOS1\n"])


# --- a small noisy archive ---------------------------------------------------------------


@dataclass
class Noisy:
    settings: Settings
    truth: Path
    batch: str


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Noisy]:
    base = tmp_path_factory.mktemp("noisy")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ESCR_HOME", str(base / "var"))
        for name in ("ESCR_DATABASE__URL", "ESCR_STORAGE__BACKEND", "ESCR_INDEX__BACKEND"):
            env.delenv(name, raising=False)
        get_settings.cache_clear()
        settings = get_settings()
        archive = make_archive(base / "archive", seed=3, people=20, docs=90, noise="heavy")
        assert archive.truth_path is not None
        _load(settings, archive.manifest_path, "noisy")
        yield Noisy(settings, archive.truth_path, "noisy")
    get_settings.cache_clear()


def test_noisy_archive_figures_agree_with_the_truth_counted_by_hand(noisy: Noisy) -> None:
    with noisy.truth.open(encoding="utf-8", newline="") as fh:
        truth_rows = {(r["source_system"], r["source_document_id"]): r for r in csv.DictReader(fh)}
    with session_factory(noisy.settings.database_url)() as session:
        report = batch_quality(session, noisy.batch, caller=ADMIN, truth=read_truth(noisy.truth))
        links = session.execute(
            select(Document.source_system, Document.source_document_id, DocumentLink.person_id)
            .join(DocumentLink, DocumentLink.document_id == Document.id)
            .where(Document.parent_id.is_(None), DocumentLink.method != "manual")
        ).all()
        documents = session.scalars(select(Document)).all()
    top_level = [d for d in documents if d.parent_id is None]
    truth = report["truth"]
    # Every automatic link, judged against truth.csv directly.
    wrong = [1 for s, d, p in links if p not in truth_rows[(s, d)]["person_ids"].split(";")]
    assert (truth["auto_links"], truth["wrong_auto_links"]) == (len(links), len(wrong))
    assert truth["link_precision"] == pytest.approx(1 - len(wrong) / len(links))
    misfiled = [k for k, r in truth_rows.items() if r["misfiled"]]
    assert truth["misfiled"] == len(misfiled) > 0  # heavy noise misfiles some
    # Decision paths cover each document once; no reviewer has acted, so the truth's paths
    # (automatic links only) are the batch's.
    paths = {p["path"]: p["documents"] for p in report["paths"]}
    assert report["documents"] == sum(paths.values()) == len(top_level) == truth["documents"]
    assert paths == truth["paths"]
    assert report["misfiled_caught"]["documents"] >= truth["misfiled_caught"] > 0
    # The OCR distribution holds every OCRed page the catalog keeps a confidence for.
    kept = [v for d in documents for v in (d.ocr_page_confidence or {}).values() if v is not None]
    ocr = report["ocr"]
    assert len(kept) > 0 and sum(b["pages"] for b in ocr["bins"]) == len(kept)
    assert ocr["mean"] == pytest.approx(sum(kept) / len(kept))


def test_the_type_models_cross_validation_joins_the_report(
    noisy: Noisy, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = noisy.settings.home
    with session_factory(noisy.settings.database_url)() as session:
        assert quality_report(session, home, noisy.batch, caller=ADMIN)["types"] is None
        # Ninety documents hold fewer than the 100 labels a model needs in production; the
        # model here learns from the archive's labelled documents all the same.
        monkeypatch.setattr(learn_types, "MIN_LABELLED", 20)
        trained = learn_types.train(session, load_mapping(None), home, now=datetime(2026, 12, 7))
        types = quality_report(session, home, noisy.batch, caller=ADMIN)["types"]
    stored = type_quality(home)
    assert stored is not None and types == asdict(stored)
    assert types["macro_f1"] == trained.about.macro_f1 and types["trained_on"] > 20
    # Each true type's row of the confusion matrix counts its labelled documents.
    sums = [sum(row) for row in types["confusion"]]
    assert sums == [types["support"][c] for c in types["classes"]]


def test_escr_quality_prints_a_table_then_one_json_line(
    noisy: Noisy, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["quality", noisy.batch, "--truth", str(noisy.truth)]) == 0
    out = capsys.readouterr().out.splitlines()
    headline = json.loads(out[-1])
    assert "Decision paths" in out[1] and any("link precision" in line for line in out)
    assert main(["quality", noisy.batch, "--json"]) == 0
    whole = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert whole["truth"] is None
    assert headline["paths"] == {p["path"]: p["documents"] for p in whole["paths"]}
    with session_factory(noisy.settings.database_url)() as session:
        truth = measure_linking(session, read_truth(noisy.truth), batch=noisy.batch)
    assert headline["link_precision"] == truth.link_precision
    assert headline["wrong_auto_links"] == truth.wrong_auto_links
    assert main(["quality", noisy.batch, "--truth", str(noisy.truth.parent / "none.csv")]) == 2
