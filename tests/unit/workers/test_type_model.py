"""The learned document-type model (docs/decisions/0032): it learns what the keyword rules miss,
its tf-idf is scikit-learn's, a sandbox child answers as this process does, a doubtful answer
waits for a person and retention does not act on it, and a broken model file never stops a
load: the keyword rules classify instead."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, MutableMapping
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import structlog
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sqlalchemy import select

from bench.type_corpus import make_corpus, make_document
from catalog.db import session_factory
from catalog.models import Document, ExceptionItem
from cli.main import main
from core.settings import Settings
from domain.vocabulary import CONFIDENT, TYPE_UNCERTAIN
from retention.evaluate import UNCONFIRMED
from retention.rules import reading_evaluator
from workers import learn_types, type_model
from workers.classify import classify
from workers.extract import signals
from workers.extract.base import Limits
from workers.load import load_archive
from workers.sandbox import SandboxPool
from workers.sources.mapping import load_mapping
from workers.synth.text import compose_pages
from workers.type_model import (
    ModelInfo,
    TypeModel,
    decode,
    encode,
    model_dir,
    usable_model,
    words,
)
from workers.type_training import count_terms, cross_validate, fit

MAPPING = load_mapping()


def _train(texts: list[str], labels: list[str]) -> TypeModel:
    counts, terms = count_terms(texts)
    scores = cross_validate(texts, labels, counts=counts)
    fitted = fit(texts, labels, counts=counts, terms=terms)
    about = ModelInfo(1, len(texts), scores.macro_f1, "2024-01-01T00:00:00", fitted.classes)
    data = encode(
        about, fitted.terms, fitted.idf, fitted.coef, fitted.intercept, scores.temperature
    )
    return decode(data)


@pytest.fixture(scope="module")
def trained() -> TypeModel:
    texts, labels = make_corpus(seed=11, per_type=25)
    return _train(texts, labels)


def _keywords_only(text: str) -> str:
    return classify(
        legacy_doc_type="", title="", text=text, mime="application/pdf", mapping=MAPPING
    ).doc_type


def test_the_model_reads_held_out_documents_the_keyword_rules_misread(trained: TypeModel) -> None:
    texts, truth = make_corpus(seed=12, per_type=12)  # another seed: unseen documents
    learned = [trained.predict(t).doc_type for t in texts]
    rules = [_keywords_only(t) for t in texts]
    learned_f1 = f1_score(truth, learned, average="macro")
    rules_f1 = f1_score(truth, rules, average="macro")
    assert learned_f1 >= 0.9, learned_f1
    # The floor is one the keyword rules do not reach on the same documents.
    assert rules_f1 < 0.9, rules_f1
    assert learned_f1 > rules_f1 + 0.05


def test_cross_validation_reports_macro_f1_and_a_confusion_matrix() -> None:
    texts, labels = make_corpus(seed=13, per_type=10)
    scores = cross_validate(texts, labels)
    n = len(scores.classes)
    assert len(scores.confusion) == n and all(len(row) == n for row in scores.confusion)
    assert sum(map(sum, scores.confusion)) == len(texts)
    diagonal = sum(scores.confusion[i][i] for i in range(n))
    assert diagonal / len(texts) >= 0.85
    assert 0.85 <= scores.macro_f1 <= 1.0 and scores.temperature > 0


def test_the_tf_idf_is_scikit_learns(trained: TypeModel) -> None:
    """TypeModel.predict's vector is TfidfVectorizer(sublinear_tf=True)'s over the same terms."""
    texts, _ = make_corpus(seed=14, per_type=1)
    reference = TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=2).fit(texts)
    vocabulary = {t.decode(): i for t, i in reference.vocabulary_.items()}
    # The same idf as ours when fitted on the same documents with the same terms kept.
    counts, terms = count_terms(texts)
    from workers.type_training import _weights, tfidf

    keep, idf = _weights(counts)
    kept = [t for t, k in zip(terms, keep, strict=True) if k]
    ours = tfidf(counts, keep, idf).toarray()
    theirs = reference.transform(texts).toarray()[:, [vocabulary[t] for t in kept]]
    assert np.allclose(ours, theirs, atol=1e-5)


def test_probabilities_are_calibrated_and_the_reason_names_the_terms(trained: TypeModel) -> None:
    text = make_document(random.Random(5), "health")
    found = trained.predict(text)
    assert found.doc_type == "health" and 0 < found.confidence <= 1
    reason = trained.reason(found)
    assert "learned model v1" in reason and "macro-F1" in reason
    assert found.terms and all(f"'{term}'" in reason for term, _ in found.terms)
    # Words that name no type leave the model unsure: the case history alone.
    fields = {"first": "Kai", "name": "Kai Ali", "worker": "Sam Okoro", "date": "01/02/2019"}
    history = "\n".join(
        compose_pages("other", fields, "Brandel", random.Random(6), pages=2, day=date(2019, 2, 1))[
            1:
        ]
    )
    assert trained.predict(history).confidence < CONFIDENT


def test_a_sandbox_child_answers_as_this_process_does(trained: TypeModel, tmp_path: Path) -> None:
    path = tmp_path / "v0001.npz"
    texts, labels = make_corpus(seed=11, per_type=25)
    counts, terms = count_terms(texts)
    fitted = fit(texts, labels, counts=counts, terms=terms)
    about = ModelInfo(1, len(texts), 0.99, "2024-01-01T00:00:00", fitted.classes)
    path.write_bytes(encode(about, fitted.terms, fitted.idf, fitted.coef, fitted.intercept, 0.5))
    model = usable_model(path)
    assert model is not None
    document = tmp_path / "letter.txt"
    document.write_text(make_document(random.Random(8), "court_legal"), encoding="utf-8")
    signals.forget_all()
    with SandboxPool(1, Limits(timeout_s=30), tmp_path) as pool:
        pool.scan_with(MAPPING.keywords, path)
        result = pool.submit(str(document), "text/plain").result(timeout=60)
    signals.forget_all()
    assert result.ok and result.signals is not None and result.signals.learned_type is not None
    here = model.predict(result.text)
    assert result.signals.learned_type == here
    assert here.doc_type == "court_legal"


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "wrong_shapes"])
def test_a_broken_model_falls_back_to_the_rules_with_a_logged_reason(
    damage: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.npz"
    about = ModelInfo(1, 100, 0.95, "2024-01-01T00:00:00", ("assessment", "health"))
    coef = np.ones((2, 2), dtype=np.float32)
    idf = np.ones(2, dtype=np.float32)
    good.write_bytes(encode(about, ["a", "b"], idf, coef, np.zeros(2, np.float32), 1.0))
    path = tmp_path / "v0001.npz"
    if damage == "garbage":
        path.write_bytes(b"not a model at all")
    elif damage == "truncated":
        path.write_bytes(good.read_bytes()[:200])
    elif damage == "wrong_shapes":
        path.write_bytes(encode(about, ["a", "b", "c"], idf, coef, np.zeros(2, np.float32), 1.0))
    captured: list[MutableMapping[str, object]] = []

    def keep(_logger: object, _method: str, event: MutableMapping[str, object]) -> str:
        captured.append(event)
        return ""

    # The module's own logger, replaced: core.logging caches loggers on first use, so
    # configuring structlog here does nothing once another test has logged through it.
    recording = structlog.wrap_logger(structlog.ReturnLogger(), processors=[keep])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type_model, "log", recording)
        assert usable_model(path) is None
    assert any(e.get("event") == "classify.model_unusable" and e.get("reason") for e in captured)
    # With no model the keyword rules classify, as before there was one.
    text = "The single assessment was completed over three sessions. " * 5
    found = classify(
        legacy_doc_type="", title="", text=text, mime="application/pdf", mapping=MAPPING, model=None
    )
    assert found.doc_type == "assessment" and not found.learned


# --- in a catalog: a load trains, classifies the unlabelled, and queues the doubtful ---


def _write_archive(root: Path) -> tuple[Path, Path, dict[str, str]]:
    """Labelled documents (mapped codes) of every corpus type, unlabelled ones, and one whose
    words name no type; returns (manifest, people, true type by source document ID)."""
    codes: dict[str, str] = {}
    for code, doc_type in _mapping_codes():
        codes.setdefault(doc_type, code)
    rng = random.Random(21)
    texts, labels = make_corpus(seed=21, per_type=16)
    rows, truth = [], {}
    (root / "files").mkdir(parents=True)
    for n, (text, label) in enumerate(zip(texts, labels, strict=True)):
        doc_id = f"D{n:05d}"
        labelled = n % 4 != 0  # a quarter unlabelled
        (root / "files" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        rows.append([doc_id, f"files/{doc_id}.txt", codes[label] if labelled else ""])
        truth[doc_id] = label
    fields = {"first": "Kai", "name": "Kai Ali", "worker": "Sam Okoro", "date": "01/02/2019"}
    vague = compose_pages("other", fields, "Brandel", rng, pages=2, day=date(2019, 2, 1))[1:]
    (root / "files" / "VAGUE.txt").write_text("\n".join(vague), encoding="utf-8")
    rows.append(["VAGUE", "files/VAGUE.txt", ""])
    manifest = root / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["source_system", "source_document_id", "legacy_person_id", "file_path", "title",
             "legacy_doc_type", "document_date", "sha256"]
        )  # fmt: skip
        for doc_id, path, code in rows:
            writer.writerow(["PARIS", doc_id, "1", path, "Document", code, "2019-02-01", ""])
    people = root / "people.csv"
    people.write_text(
        "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
        "nhs_number,service\nMOS1,Mosaic,PARIS:1,Kai,Ali,2010-01-01,,,children\n",
        encoding="utf-8",
    )
    return manifest, people, truth


def _mapping_codes() -> Iterator[tuple[str, str]]:
    for code in sorted(("REF", "ASMT", "CPLAN", "CPC", "STRAT", "LACR", "PLAC", "COURT", "ADOPT",
                        "FOST", "CNOTE", "CORR", "HEALTH", "EDU", "FIN", "CONSENT", "COMPL",
                        "S42", "DOLS", "ID")):  # fmt: skip
        doc_type = MAPPING.doc_type_for_code(code)
        assert doc_type is not None
        yield code, doc_type


def test_a_load_trains_classifies_the_unlabelled_and_queues_the_doubtful(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest, people, truth = _write_archive(tmp_path / "archive")
    # Without asking, a load only says training is due (the lead's step: decision 0032)...
    told = load_archive(settings, manifest=manifest, people=people, workers=1, progress=False)
    assert told["type_model"] == {"trained": False, "due": True}
    assert not list(model_dir(settings.home).glob("*.npz"))
    # ...and with --learn-types it trains at its end.
    summary = load_archive(
        settings, manifest=manifest, people=people, workers=1, progress=False, learn_types=True
    )
    trained = summary["type_model"]
    assert trained["trained"] and trained["documents"] >= learn_types.MIN_LABELLED
    assert list(model_dir(settings.home).glob("v0001.npz"))
    with session_factory(settings.database_url)() as session:
        documents = {d.source_document_id: d for d in session.scalars(select(Document))}
        unlabelled = [
            d for d in documents.values() if not d.legacy_doc_type and d.source_document_id in truth
        ]
        right = sum(d.doc_type == truth[d.source_document_id] for d in unlabelled)
        assert unlabelled and right / len(unlabelled) >= 0.9
        assert all(d.type_reason.startswith("learned model v1") for d in unlabelled)
        vague = documents["VAGUE"]
        assert vague.type_confidence < CONFIDENT and not vague.type_confirmed
        kinds = session.scalars(
            select(ExceptionItem.kind).where(
                ExceptionItem.document_id == vague.id, ExceptionItem.status == "open"
            )
        ).all()
        assert TYPE_UNCERTAIN in kinds
        # Retention does not act on a class the model was unsure of.
        evaluator = reading_evaluator(session, settings.home)
        decision = evaluator.decide(
            doc_type=vague.doc_type,
            confidence=vague.type_confidence,
            confirmed=vague.type_confirmed,
            people=[],
            today=date(2090, 1, 1),
        )
        assert decision.status == "retained" and decision.reason == UNCONFIRMED
        assert decision.retain_until is None
    # `escr classify show` prints the stored cross-validated figures and the confusion matrix.
    capsys.readouterr()
    assert main(["classify", "show"]) == 0
    shown = capsys.readouterr().out
    assert f"macro-F1 {trained['macro_f1']:.3f}" in shown and "confusion" in shown
