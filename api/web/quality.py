"""The batch quality page: the report of api/routes/quality.py (the same one GET/POST
/api/batches/{batch}/quality answers and `escr quality` prints), laid out for a migration lead:
each number with its meaning, the matrices as tables, small bar charts in inline SVG (the CSP
allows no inline style or script). A ground truth CSV uploaded with the form is measured
against and not kept."""

from __future__ import annotations

import codecs
import io
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep, WebLoginDep
from api.routes.quality import quality_report
from api.schemas.quality import MAX_TRUTH_CHARS
from api.web.render import check_csrf, page
from core.errors import InvalidInput
from records.quality import TARGETS, meets_target, parse_truth

router = APIRouter(include_in_schema=False)
MAX_TRUTH_BYTES = MAX_TRUTH_CHARS  # the API's bound, in bytes of UTF-8


def _width(part: int, whole: int) -> float:
    """A bar's length, in percent of the chart's width."""
    return round(100 * part / whole, 1) if whole else 0.0


def _truth_rows(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The truth figures a lead signs, each with its meaning and issue 14's target."""

    def row(key: str, name: str, value: str, meaning: str) -> dict[str, Any]:
        target = TARGETS.get(key)
        return {
            "name": name,
            "value": value,
            "meaning": meaning,
            "target": f"{target[0]} {target[1]:g}" if target else "",
            "met": meets_target(key, truth[key]),
        }

    def rate(key: str) -> str:
        return "n/a" if truth[key] is None else f"{truth[key]:.3f}"

    return [
        row("link_precision", "Link precision", rate("link_precision"),
            f"of {truth['auto_links']} automatic links, the share on the right person"),
        row("wrong_auto_links", "Wrong automatic links", str(truth["wrong_auto_links"]),
            "documents put automatically on someone they are not about: each one a breach"),
        row("auto_recall", "Automatic-link recall", rate("auto_recall"),
            f"of the {truth['linkable']} linkable documents' true people, the share linked "
            "without a person's help"),
        row("misfiled_caught_rate", "Misfiled documents caught", rate("misfiled_caught_rate"),
            f"{truth['misfiled_caught']} of {truth['misfiled']} documents the manifest put on "
            "the wrong person were withheld and queued, or linked right"),
        row("review_top3_rate", "True person in the first 3 candidates",
            rate("review_top3_rate"),
            f"{truth['review_top3']} of {truth['reviewed']} linkable documents sent to review"),
        row("type_macro_f1", "Document type macro-F1", rate("type_macro_f1"),
            f"the types given against the true ones, on {truth['typed']} indexed documents"),
    ]  # fmt: skip


def _view(report: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, with the bars' lengths worked out."""
    total = report["documents"]
    paths = [{**p, "width": _width(p["documents"], total)} for p in report["paths"]]
    ocr = report["ocr"]
    top = max((b["pages"] for b in ocr["bins"]), default=0)
    bins = [{**b, "width": _width(b["pages"], top)} for b in ocr["bins"]]
    types = report["types"]
    truth = report["truth"]
    return {
        "report": report,
        "batch_path": quote(report["batch"], safe=""),
        "paths": paths,
        "bins": bins,
        "types": types,
        "types_met": meets_target("type_macro_f1", types["macro_f1"]) if types else None,
        "truth": truth,
        "truth_rows": _truth_rows(truth) if truth else [],
        "type_target": TARGETS["type_macro_f1"],
    }


@router.get("/migration/batches/{batch}/quality")
def quality_page(
    request: Request, batch: str, session: SessionDep, settings: SettingsDep, login: WebLoginDep
) -> Response:
    report = quality_report(session, settings.home, batch, caller=login.caller)
    return page(request, "quality.html", login, **_view(report))


def _read_truth(upload: UploadFile) -> str:
    data = upload.file.read(MAX_TRUTH_BYTES + 1)
    if len(data) > MAX_TRUTH_BYTES:
        raise InvalidInput(f"the ground truth is larger than {MAX_TRUTH_BYTES // 1_000_000} MB")
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the ground truth is not a UTF-8 CSV file") from None


@router.post("/migration/batches/{batch}/quality")
def quality_against_truth(
    request: Request,
    batch: str,
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    truth: Annotated[UploadFile, File()],
) -> Response:
    """The page measured against the uploaded truth; a file that is not one is said on the
    page, above the form, with the report without it."""
    check_csrf(login, csrf)
    try:
        found = parse_truth(io.StringIO(_read_truth(truth), newline=""))
        if not found:
            raise InvalidInput("the ground truth names no document")
    except InvalidInput as exc:
        report = quality_report(session, settings.home, batch, caller=login.caller)
        return page(request, "quality.html", login, 422, truth_error=str(exc), **_view(report))
    report = quality_report(session, settings.home, batch, caller=login.caller, truth=found)
    return page(
        request, "quality.html", login, truth_name=truth.filename or "the file", **_view(report)
    )
