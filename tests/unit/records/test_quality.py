"""records/quality.py: the linking and type figures of a loaded catalog against a ground truth,
checked by hand on the three-document tiny archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document, DocumentLink, ExceptionItem
from core.settings import Settings
from records.quality import macro_f1, measure_linking, read_truth
from tests.factories.tiny import make_tiny_archive
from workers.load import load_archive

# The tiny archive links D1 and D2 to MOS1 through PARIS:100 and queues D3 (no legacy ID).
# The truth says otherwise for D2 (it is Ben Birch's, misfiled on Ann's ID) and D3 (Ben's
# too), and gives D3 a type the classifier will not find.
TRUTH = (
    "source_system,source_document_id,person_ids,linkable,misfiled,doc_type\n"
    "PARIS,D1,MOS1,1,,case_note\n"
    "PARIS,D2,MOS2,1,name_dob,care_plan\n"
    "PARIS,D3,MOS2,1,,complaint\n"
    "PARIS,D9,MOS1,1,,case_note\n"  # not in the catalog: not measured
)


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> Path:
    manifest = make_tiny_archive(tmp_path / "archive")
    load_archive(
        settings,
        manifest=manifest,
        people=manifest.parent / "people.csv",
        workers=1,
        progress=False,
    )
    truth = tmp_path / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    return truth


def test_figures_of_the_tiny_archive_by_hand(settings: Settings, loaded: Path) -> None:
    with session_factory(settings.database_url)() as session:
        # What the catalog holds, so the hand-made figures below rest on it.
        links = session.execute(
            select(Document.source_document_id, DocumentLink.person_id, DocumentLink.method).join(
                DocumentLink, DocumentLink.document_id == Document.id
            )
        ).all()
        assert sorted(links) == [("D1", "MOS1", "crosswalk"), ("D2", "MOS1", "crosswalk")]
        kinds = session.scalars(select(ExceptionItem.kind)).all()
        assert kinds == ["no_legacy_id"]
        types = dict(session.execute(select(Document.source_document_id, Document.doc_type)).all())
        assert types == {"D1": "case_note", "D2": "care_plan", "D3": "correspondence"}

        q = measure_linking(session, read_truth(loaded))
    assert (q.documents, q.linkable) == (3, 3)
    assert (q.auto_links, q.wrong_auto_links) == (2, 1)  # D2 -> MOS1 is wrong
    assert q.link_precision == 0.5
    assert q.auto_recall == pytest.approx(1 / 3)  # of D1-MOS1, D2-MOS2, D3-MOS2 only the first
    assert (q.misfiled, q.misfiled_caught, q.misfiled_caught_rate) == (1, 0, 0.0)
    assert (q.reviewed, q.review_top3, q.review_top3_rate) == (1, 0, 0.0)  # D3: no candidates
    assert q.paths == {"crosswalk": 2, "review": 1}
    # case_note 1, care_plan 1, correspondence 0 (predicted once, never true), complaint 0
    assert q.typed == 3 and q.type_macro_f1 == 0.5


def test_a_manual_link_is_not_automatic_and_a_candidate_counts_in_the_top_three(
    settings: Settings, loaded: Path
) -> None:
    with session_factory(settings.database_url)() as session:
        d2, d3 = (
            session.scalars(select(Document).where(Document.source_document_id == s)).one()
            for s in ("D2", "D3")
        )
        link = session.scalars(select(DocumentLink).where(DocumentLink.document_id == d2.id)).one()
        link.method = "manual"  # as if a reviewer had confirmed it
        item = session.scalars(
            select(ExceptionItem).where(ExceptionItem.document_id == d3.id)
        ).one()
        item.candidates = ["MOS1", "MOS3", "MOS2", "MOS4"]
        session.flush()
        q = measure_linking(session, read_truth(loaded))
    assert (q.auto_links, q.wrong_auto_links) == (1, 0)
    assert q.link_precision == 1.0
    # D2 is neither queued nor linked right by escr: not caught, though no automatic link is wrong
    assert (q.misfiled_caught, q.reviewed, q.review_top3) == (0, 1, 1)
    with session_factory(settings.database_url)() as session:
        item = session.scalars(select(ExceptionItem)).one()
        item.candidates = ["MOS1", "MOS3", "MOS4", "MOS2"]  # the true person fourth
        session.flush()
        assert measure_linking(session, read_truth(loaded)).review_top3 == 0


def test_macro_f1_by_hand() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "c")]
    # a: P 1/1 R 1/2 F 2/3; b: P 1/2 R 1/1 F 2/3; c: 1
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert macro_f1([]) is None


def test_truth_without_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(
        "source_system,source_document_id,person_ids\nPARIS, D1 ,MOS1; MOS2\nPARIS,D2,\n",
        encoding="utf-8",
    )
    first, second = read_truth(path)
    assert first.person_ids == {"MOS1", "MOS2"} and first.linkable and not first.misfiled
    assert second.person_ids == frozenset() and not second.linkable and first.doc_type == ""
