"""A batch's quality report, for a migration lead to read and sign: how its documents were
linked (each decision path with what it means), how well OCR read its pages, and, when a ground
truth is supplied, link precision and recall, misfiled documents caught, the true person among
the queue's first candidates and the types against the truth (records/quality.py).

`escr quality BATCH`, the page /migration/batches/{batch}/quality and GET/POST
/api/batches/{batch}/quality all show this report. The learned type model's cross-validated
figures are added by those faces (workers/type_quality.py reads them from the model file the
pipeline writes; governance does not import the pipeline).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from catalog import audit
from catalog.ledger import get_batch
from catalog.models import Document, DocumentLink, ExceptionItem
from domain.ocr import REVIEW_BELOW, needs_review
from domain.vocabulary import CONTENT_EXCEPTION_KINDS
from records.access import Caller, require_role
from records.consoles import CONSOLE_ROLES
from records.quality import PATH_MEANINGS, TruthDocument, decision_path, measure_linking

# Crosswalk links withheld because the text names someone else: the misfiled documents escr
# caught before they reached the wrong record (decided ones too: a reviewer's later link does
# not undo the catch).
WITHHELD_KINDS = ("subject_mismatch", "nhs_conflict")
WITHHELD_MEANING = (
    "crosswalk links withheld because the document's text names someone else "
    "(another person's name and date of birth, or NHS number), open or since decided"
)
# Upper edges of the OCR confidence bins; the last bin runs to 1.0. REVIEW_BELOW is an edge, so
# a bin is either wholly below it (its pages listed for a person to check) or wholly above.
OCR_EDGES = (0.5, 0.6, 0.7, 0.8, 0.9)
_CHUNK = 1000  # documents' page confidences read at a time


def decision_paths(session: Session, batch: str) -> tuple[dict[str, int], int]:
    """The batch's top-level documents by decision path (records.quality.decision_path), and
    how many of them had a crosswalk link withheld as misfiled."""
    mine = (Document.batch == batch, Document.parent_id.is_(None))
    methods: dict[int, set[str]] = {}
    for doc_id, method in session.execute(
        select(DocumentLink.document_id, DocumentLink.method)
        .join(Document, Document.id == DocumentLink.document_id)
        .where(*mine)
    ):
        methods.setdefault(doc_id, set()).add(method)
    queued = set(
        session.scalars(
            select(ExceptionItem.document_id)
            .join(Document, Document.id == ExceptionItem.document_id)
            .where(
                *mine,
                ExceptionItem.status == "open",
                ExceptionItem.kind.not_in(CONTENT_EXCEPTION_KINDS),
            )
        )
    )
    paths: Counter[str] = Counter()
    for doc_id in session.scalars(select(Document.id).where(*mine)):
        paths[decision_path(doc_id in queued, methods.get(doc_id, set()))] += 1
    withheld = session.scalar(
        select(func.count(distinct(ExceptionItem.document_id)))
        .join(Document, Document.id == ExceptionItem.document_id)
        .where(*mine, ExceptionItem.kind.in_(WITHHELD_KINDS))
    )
    return dict(paths), int(withheld or 0)


def _bins() -> list[dict[str, Any]]:
    lows = (0.0, *OCR_EDGES)
    highs = (*OCR_EDGES, 1.0)
    return [
        {"low": low, "high": high, "pages": 0, "needs_review": high <= REVIEW_BELOW}
        for low, high in zip(lows, highs, strict=True)
    ]


def ocr_distribution(session: Session, batch: str) -> dict[str, Any]:
    """How confidently OCR read the batch's pages (attachments' too): pages per confidence
    bin, the mean, and the pages too doubtful to trust (domain/ocr.py's rule)."""
    bins = _bins()
    confidences: list[float] = []
    blank = unrecorded = documents = 0
    query = (
        select(Document.ocr_page_confidence)
        .where(Document.batch == batch, Document.ocr_pages > 0)
        .execution_options(yield_per=_CHUNK)
    )
    for by_page in session.scalars(query):
        documents += 1
        if not by_page:
            unrecorded += 1  # OCRed before per-page confidence was kept (migration 0011)
            continue
        for value in by_page.values():
            if value is None:
                blank += 1
                continue
            confidence = float(value)
            confidences.append(confidence)
            slot = sum(confidence >= edge for edge in OCR_EDGES)
            bins[slot]["pages"] += 1
    return {
        "documents": documents,
        "pages": len(confidences) + blank,
        "blank_pages": blank,
        "documents_without_page_confidence": unrecorded,
        "mean": sum(confidences) / len(confidences) if confidences else None,
        "review_below": REVIEW_BELOW,
        "pages_to_review": sum(needs_review(c) for c in confidences),
        "bins": bins,
    }


def _truth_figures(session: Session, batch: str, truth: list[TruthDocument]) -> dict[str, Any]:
    figures = asdict(measure_linking(session, truth, batch=batch))
    figures["truth_lines"] = len(truth)
    matrix = figures.pop("type_confusion")
    figures["type_confusion"] = {  # lists, as JSON has them
        "classes": list(matrix["classes"]),
        "counts": [list(row) for row in matrix["counts"]],
    }
    return figures


def batch_quality(
    session: Session, batch: str, *, caller: Caller, truth: list[TruthDocument] | None = None
) -> dict[str, Any]:
    """The batch's report (the module docstring says what it holds); `truth` adds the figures
    against it. Migration and IG roles only; every look is audited."""
    require_role(session, caller, CONSOLE_ROLES, "the batch's quality report")
    get_batch(session, batch)  # an unknown batch is NotFound
    paths, withheld = decision_paths(session, batch)
    ordered = [p for p in PATH_MEANINGS if p in paths] + sorted(set(paths) - set(PATH_MEANINGS))
    report: dict[str, Any] = {
        "batch": batch,
        "documents": sum(paths.values()),
        "paths": [
            {
                "path": p,
                "documents": paths[p],
                "meaning": PATH_MEANINGS.get(p, f"linked automatically ({p})"),
            }
            for p in ordered
        ],
        "misfiled_caught": {"documents": withheld, "meaning": WITHHELD_MEANING},
        "ocr": ocr_distribution(session, batch),
        "truth": _truth_figures(session, batch, truth) if truth is not None else None,
    }
    audit.record(
        session,
        actor=caller.user_id,
        action="view_quality",
        target_type="batch",
        target_id=batch,
        on_behalf_of=caller.on_behalf_of,
        detail={"truth_lines": len(truth) if truth is not None else None},
    )
    return report
