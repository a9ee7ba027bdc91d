"""Answers of a batch's quality report (records/quality_report.py, workers/type_quality.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas import Answer

# A ground truth sent in a request body: about 60 characters a document, so a few hundred
# thousand documents; a bigger truth is `escr quality BATCH --truth FILE`'s.
MAX_TRUTH_CHARS = 20_000_000


class TruthBody(BaseModel):
    truth_csv: str = Field(
        max_length=MAX_TRUTH_CHARS,
        description="the ground truth as CSV text: source_document_id and person_ids "
        "(';'-separated), optionally source_system, linkable, misfiled and doc_type; "
        "`escr synth --noise` writes one as truth.csv",
    )


class DecisionPath(Answer):
    path: str = Field(description="crosswalk, probable, manual, review, unlinked, or a link method")
    documents: int
    meaning: str = Field(description="what the path means, for people")


class MisfiledCaught(Answer):
    documents: int = Field(description="documents whose crosswalk link was withheld")
    meaning: str


class OcrBin(Answer):
    low: float = Field(description="the bin's lowest confidence (inclusive)")
    high: float = Field(description="its highest (exclusive, but 1.0 is in the last bin)")
    pages: int
    needs_review: bool = Field(description="whether its pages are below the review threshold")


class OcrDistribution(Answer):
    documents: int = Field(description="documents of the batch with OCRed pages")
    pages: int = Field(description="OCRed pages, blank ones included")
    blank_pages: int = Field(description="OCRed pages with no text at all")
    documents_without_page_confidence: int = Field(
        description="documents OCRed before per-page confidence was kept"
    )
    mean: float | None = Field(description="mean confidence (0..1) of the pages with text")
    review_below: float = Field(description="pages below this are listed for a person to check")
    pages_to_review: int
    bins: list[OcrBin]


class Confusion(Answer):
    classes: list[str] = Field(description="the types, in row and column order")
    counts: list[list[int]] = Field(description="rows: true type; columns: the type given")


class TruthFigures(Answer):
    """Figures against the ground truth supplied (records/quality.py LinkingQuality)."""

    truth_lines: int = Field(description="documents the truth names")
    documents: int = Field(description="of them, found among the batch's documents")
    linkable: int = Field(description="of those, linkable with what the archive holds")
    auto_links: int = Field(description="automatic (document, person) links")
    wrong_auto_links: int = Field(
        description="automatic links to someone the document is not about"
    )
    link_precision: float | None = Field(description="right automatic links / automatic links")
    auto_recall: float | None = Field(
        description="the linkable documents' true people linked automatically / all of them"
    )
    misfiled: int = Field(description="documents the manifest put on the wrong person")
    misfiled_caught: int
    misfiled_caught_rate: float | None
    reviewed: int = Field(description="linkable documents in the queue")
    review_top3: int = Field(description="of them, the true person among the first 3 candidates")
    review_top3_rate: float | None
    paths: dict[str, int] = Field(description="the truth's documents by decision path")
    typed: int = Field(description="indexed documents with a true type")
    type_macro_f1: float | None = Field(description="macro-F1 of the types given against the truth")
    type_confusion: Confusion


class TypeFigures(Answer):
    """The learned type model's figures, measured by 5-fold cross-validation when trained."""

    version: int
    trained_on: int = Field(description="labelled documents it learned from")
    trained_at: str = Field(description="ISO 8601, UTC")
    macro_f1: float
    classes: list[str]
    per_class_f1: dict[str, float]
    support: dict[str, int] = Field(description="labelled documents of each type")
    confusion: list[list[int]] = Field(description="rows: true type; columns: predicted")


class QualityReport(Answer):
    """A batch's measured accuracy: decision paths, OCR confidence, the type model's
    cross-validation and, when a ground truth is supplied, link precision and recall."""

    batch: str
    documents: int = Field(description="top-level documents the batch last stored")
    paths: list[DecisionPath]
    misfiled_caught: MisfiledCaught
    ocr: OcrDistribution
    types: TypeFigures | None = Field(description="null until `escr classify train` has run")
    truth: TruthFigures | None = Field(description="null unless a ground truth was supplied")
