"""A batch's quality report: GET without a ground truth, POST with one. The page
/migration/batches/{batch}/quality (api/web/quality.py) and `escr quality` show the same report,
built by quality_report."""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from api.deps import CallerDep, SessionDep, SettingsDep
from api.schemas import errors
from api.schemas.quality import QualityReport, TruthBody
from records.access import Caller
from records.quality import TruthDocument, parse_truth
from records.quality_report import batch_quality
from workers.type_quality import type_quality

router = APIRouter(
    tags=["migration"],
    responses=errors(401, 403, 404, e403="the caller's role may not read reports of batches",
                     e404="no such batch"),
)  # fmt: skip
BatchPath = Annotated[str, Path(description="the batch's name, as `escr load` gave it")]


def type_figures(home: FilePath) -> dict[str, Any] | None:
    """The learned type model's cross-validated figures (None before one is trained)."""
    quality = type_quality(home)
    return asdict(quality) if quality is not None else None


def quality_report(
    session: Session,
    home: FilePath,
    batch: str,
    *,
    caller: Caller,
    truth: list[TruthDocument] | None = None,
) -> dict[str, Any]:
    """The batch's report (records/quality_report.py) with the type model's figures."""
    report = batch_quality(session, batch, caller=caller, truth=truth)
    report["types"] = type_figures(home)
    return report


@router.get("/batches/{batch}/quality", response_model=QualityReport)
def batch_quality_report(
    batch: BatchPath, session: SessionDep, settings: SettingsDep, caller: CallerDep
) -> dict[str, Any]:
    """A batch's measured accuracy: documents by decision path (crosswalk, probable, manual,
    review, unlinked) and misfiled documents caught, the OCR confidence distribution, and the
    learned type model's cross-validated macro-F1 and confusion matrix."""
    return quality_report(session, settings.home, batch, caller=caller)


@router.post(
    "/batches/{batch}/quality",
    summary="Batch quality against a ground truth",
    response_model=QualityReport,
    responses=errors(422),
)
def batch_quality_against_truth(
    batch: BatchPath,
    body: TruthBody,
    session: SessionDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> dict[str, Any]:
    """The same report with `truth` filled in: link precision and recall of the automatic
    links, misfiled documents caught, the true person among the queue's first 3 candidates,
    and the types against the truth. Nothing is stored; a CSV without the needed columns is a
    422."""
    truth = parse_truth(io.StringIO(body.truth_csv, newline=""))
    return quality_report(session, settings.home, batch, caller=caller, truth=truth)
