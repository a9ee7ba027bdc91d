"""Learn document types from the archive's own labelled documents, and apply what was learned
(docs/decisions/0032).

Labelled: a document a person confirmed the type of (Document.type_confirmed), or whose legacy
type code the mapping resolves (a reviewed business rule). `escr classify train` trains on
them, and a load trains by itself at its end when there are MIN_LABELLED of them and no model yet,
or RETRAIN_GROWTH times as many as the current model learned from. Each training writes a new
version (workers.type_model), and the documents nobody labelled are classified again by it.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog.db import IN_LIST_MAX
from catalog.models import Document
from core.states import RowState
from domain.vocabulary import CONFIDENT, TYPE_UNCERTAIN, is_doc_type
from indexer.base import SearchIndex
from indexer.documents import search_documents, with_indexed_family
from workers.classify import Classification, classify
from workers.sources.mapping import Mapping
from workers.type_model import (
    ModelInfo,
    TooFewLabels,
    TypeModel,
    encode,
    model_dir,
    readable,
    usable_model,
    versions,
)

log = structlog.get_logger(__name__)

# Fewer labelled documents than this make a model whose cross-validated figure means little.
MIN_LABELLED = 100
# A load retrains when the labelled documents have grown by half since the current model.
RETRAIN_GROWTH = 1.5
_STATES = (RowState.PENDING_INDEX.value, RowState.INDEXED.value)


@dataclass(frozen=True)
class Labelled:
    document_ids: list[int]
    texts: list[str]
    labels: list[str]
    from_codes: int
    from_people: int
    left_out: dict[str, int]  # types with too few documents to learn, and how many they had


@dataclass(frozen=True)
class Trained:
    path: Path
    about: ModelInfo
    per_class_f1: dict[str, float]
    confusion: list[list[int]]


def _label(document: Document, mapping: Mapping) -> str | None:
    if document.type_confirmed:
        return document.doc_type if is_doc_type(document.doc_type) else None
    code = (document.legacy_doc_type or "").strip()
    return mapping.doc_type_for_code(code) if code else None


def _mapped_codes(session: Session, mapping: Mapping) -> list[str]:
    codes = session.scalars(select(Document.legacy_doc_type).distinct())
    return [c for c in codes if c and c.strip() and mapping.doc_type_for_code(c.strip())]


def labelled_count(session: Session, mapping: Mapping) -> int:
    """How many documents carry a label (without reading their texts)."""
    codes = _mapped_codes(session, mapping)
    # Codes bound a few at a time: a legacy export may hold many distinct type texts.
    total: int = session.scalar(  # type: ignore[assignment]  # count() is never NULL
        select(func.count())
        .select_from(Document)
        .where(Document.state.in_(_STATES), Document.type_confirmed.is_(True))
    )
    for start in range(0, len(codes), IN_LIST_MAX):
        total += session.scalar(  # type: ignore[operator]  # count() is never NULL
            select(func.count())
            .select_from(Document)
            .where(
                Document.state.in_(_STATES),
                Document.type_confirmed.is_(False),
                Document.legacy_doc_type.in_(codes[start : start + IN_LIST_MAX]),
            )
        )
    return total


def labelled_documents(session: Session, mapping: Mapping, *, min_per_class: int) -> Labelled:
    """The labelled documents with text, less the types with too few to learn."""
    found: list[tuple[int, str, bool]] = []
    query = select(Document).where(Document.state.in_(_STATES))
    for document in session.scalars(query.order_by(Document.id)):
        label = _label(document, mapping)
        if label is not None:
            found.append((document.id, label, document.type_confirmed))
    ids: list[int] = []
    texts: list[str] = []
    labels: list[str] = []
    confirmed: list[bool] = []
    for document_id, label, by_person in found:
        text = docs.get_text(session, document_id)
        if not readable(text):  # a scan without OCR text teaches nothing about its type
            continue
        ids.append(document_id)
        texts.append(text)
        labels.append(label)
        confirmed.append(by_person)
    small = {t: n for t, n in Counter(labels).items() if n < min_per_class}
    keep = [i for i, label in enumerate(labels) if label not in small]
    people = sum(confirmed[i] for i in keep)
    return Labelled(
        document_ids=[ids[i] for i in keep],
        texts=[texts[i] for i in keep],
        labels=[labels[i] for i in keep],
        from_codes=len(keep) - people,
        from_people=people,
        left_out=small,
    )


def should_train(session: Session, mapping: Mapping, home: Path) -> bool:
    """Whether a load ends by training: enough labels, and no model or a much older one."""
    labelled = labelled_count(session, mapping)
    if labelled < MIN_LABELLED:
        return False
    stored = versions(home)
    if not stored:
        return True
    model = usable_model(stored[-1][1])
    return model is None or labelled >= RETRAIN_GROWTH * model.about.trained_on


def train(
    session: Session, mapping: Mapping, home: Path, *, now: datetime, seed: int = 0
) -> Trained:
    """Cross-validate and train on every labelled document, and store the model as a new
    version. Raises type_training.TooFewLabels when there is too little to learn from."""
    # scikit-learn is imported by training only: loading and the children never need it.
    from workers import type_training as tt

    labelled = labelled_documents(session, mapping, min_per_class=tt.MIN_PER_CLASS)
    if len(labelled.labels) < MIN_LABELLED:
        raise TooFewLabels(
            f"{len(labelled.labels)} labelled documents with text; training needs {MIN_LABELLED}"
        )
    counts, terms = tt.count_terms(labelled.texts)
    scores = tt.cross_validate(labelled.texts, labelled.labels, seed=seed, counts=counts)
    fitted = tt.fit(labelled.texts, labelled.labels, seed=seed, counts=counts, terms=terms)
    stored = versions(home)
    version = stored[-1][0] + 1 if stored else 1
    info = ModelInfo(
        version=version,
        trained_on=len(labelled.labels),
        macro_f1=scores.macro_f1,
        trained_at=now.isoformat(timespec="seconds"),
        classes=fitted.classes,
        extra={
            "from_codes": labelled.from_codes,
            "from_people": labelled.from_people,
            "left_out": labelled.left_out,
            "per_class_f1": scores.per_class_f1,
            "confusion": scores.confusion,
            "support": scores.support,
        },
    )
    data = encode(info, fitted.terms, fitted.idf, fitted.coef, fitted.intercept, scores.temperature)
    path = _write(model_dir(home), f"v{version:04d}.npz", data)
    log.info(
        "classify.model_trained",
        version=version,
        documents=info.trained_on,
        macro_f1=info.macro_f1,
        types=len(info.classes),
    )
    return Trained(path, info, scores.per_class_f1, scores.confusion)


def _write(folder: Path, name: str, data: bytes) -> Path:
    """Write atomically: a reader sees the old newest version or the whole new one."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / name


def record_type(
    session: Session,
    document: Document,
    found: Classification,
    now: datetime,
    *,
    new_document: bool,
) -> None:
    """Set the document's type; a learned guess below CONFIDENT waits for a person
    (TYPE_UNCERTAIN), and a later surer one closes that wait."""
    document.doc_type, document.type_confidence, document.type_reason = (
        found.doc_type,
        found.confidence,
        found.reason,
    )
    if found.learned and found.confidence < CONFIDENT:
        docs.open_exception(
            session,
            document_id=document.id,
            kind=TYPE_UNCERTAIN,
            detail=f"{found.doc_type} at {found.confidence:.0%}: {found.reason}"[:500],
            candidates=[],
            now=now,
            new_document=new_document,
        )
    elif not new_document:
        docs.resolve_exceptions(
            session,
            document.id,
            kinds=[TYPE_UNCERTAIN],
            resolution=f"classified again: {found.doc_type} at {found.confidence:.0%}",
            now=now,
        )


def classify_unlabelled(
    session: Session,
    index: SearchIndex,
    mapping: Mapping,
    model: TypeModel,
    *,
    now: datetime,
    batch: str | None = None,
) -> Counter[str]:
    """Classify again, with `model`, the documents no person confirmed and no mapped code
    types, and write the changed ones to the index; returns counts by outcome."""
    query = select(Document).where(Document.state.in_(_STATES), Document.type_confirmed.is_(False))
    if batch is not None:
        query = query.where(Document.batch == batch)
    outcome: Counter[str] = Counter()
    changed: list[Document] = []
    for document in session.scalars(query.order_by(Document.id)).all():
        found = classify(
            legacy_doc_type=document.legacy_doc_type,
            title=document.title,
            text=docs.get_text(session, document.id),
            mime=document.mime,
            mapping=mapping,
            model=model,
        )
        if not found.learned:
            outcome["kept"] += 1  # a mapped code, an email: the model does not overrule them
            continue
        before = (document.doc_type, document.type_confidence)
        record_type(session, document, found, now, new_document=False)
        outcome["to_review" if found.confidence < CONFIDENT else "classified"] += 1
        if before != (document.doc_type, document.type_confidence):
            outcome["changed"] += 1
            changed.append(document)
    _reindex(session, index, changed, now)
    return outcome


def _reindex(
    session: Session, index: SearchIndex, documents: list[Document], now: datetime
) -> None:
    """Catalog first, index after (as records.decisions does): a failed index write leaves
    them pending for `escr reindex --pending`."""
    for document in documents:
        document.state, document.updated_at = RowState.PENDING_INDEX, now
    session.commit()
    for start in range(0, len(documents), 500):
        page = documents[start : start + 500]
        index.upsert(search_documents(session, with_indexed_family(session, page)))
        for document in page:
            document.state = RowState.INDEXED
        session.commit()


def current_model(home: Path) -> TypeModel | None:
    """The newest usable model under `home`, or None (the keyword rules classify)."""
    stored = versions(home)
    if not stored:
        return None
    return usable_model(stored[-1][1])
