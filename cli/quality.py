"""`escr quality BATCH [--truth FILE] [--json]`: a batch's measured accuracy, the report a
migration lead signs (records/quality_report.py; the same as the page and the API route).

Without --json: a readable report, then one JSON line of the headline figures. With --json:
the whole report as one JSON line. Either way the last stdout line is a JSON object.
"""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from cli.common import ready


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The figures a migration lead signs, flat: the readable report's last line."""
    ocr, types, truth = report["ocr"], report["types"], report["truth"]
    figures: dict[str, Any] = {
        "batch": report["batch"],
        "documents": report["documents"],
        "paths": {p["path"]: p["documents"] for p in report["paths"]},
        "misfiled_caught_documents": report["misfiled_caught"]["documents"],
        "ocr_pages": ocr["pages"],
        "ocr_mean_confidence": ocr["mean"],
        "ocr_pages_to_review": ocr["pages_to_review"],
        "type_cv_macro_f1": types["macro_f1"] if types else None,
    }
    if truth is not None:
        for key in ("link_precision", "auto_recall", "wrong_auto_links", "misfiled_caught_rate"):
            figures[key] = truth[key]
        figures["review_top3_rate"] = truth["review_top3_rate"]
        figures["type_macro_f1_vs_truth"] = truth["type_macro_f1"]
    return figures


def _print_paths(report: dict[str, Any]) -> None:
    total = report["documents"]
    print(f"Decision paths: each of the batch's {total} documents once")
    for p in report["paths"]:
        print(
            f"  {p['path']:<10} {p['documents']:>7} {_share(p['documents'], total)}  {p['meaning']}"
        )
    caught = report["misfiled_caught"]
    print(f"  misfiled caught {caught['documents']}: {caught['meaning']}")


def _print_ocr(ocr: dict[str, Any]) -> None:
    print(
        f"OCR confidence: {ocr['pages']} pages of {ocr['documents']} documents "
        f"({ocr['blank_pages']} blank); mean {_rate(ocr['mean'])}; "
        f"{ocr['pages_to_review']} pages below {ocr['review_below']:.2f} listed for a person"
    )
    read = sum(b["pages"] for b in ocr["bins"])
    for b in ocr["bins"]:
        bar = "#" * round(40 * b["pages"] / read) if read else ""
        flag = " to check" if b["needs_review"] else ""
        print(f"  {b['low']:.2f}-{b['high']:.2f} {b['pages']:>7}{flag:<9} {bar}".rstrip())


def _print_types(types: dict[str, Any] | None) -> None:
    from workers.type_quality import confusion_table

    if types is None:
        print("Document types: no learned model yet (the keyword rules and legacy codes type);")
        print("  `escr classify train` trains one and measures it by cross-validation")
        return
    print(
        f"Document types: learned model v{types['version']}, 5-fold cross-validated on "
        f"{types['trained_on']} labelled documents (trained {types['trained_at']}): "
        f"macro-F1 {types['macro_f1']:.3f}"
    )
    print("  confusion (rows: true type, columns: predicted):")
    print(confusion_table(types["classes"], types["confusion"]))


def _print_truth(truth: dict[str, Any], source: Path) -> None:
    from workers.type_quality import confusion_table

    print(
        f"Against the ground truth {source}: {truth['documents']} of its "
        f"{truth['truth_lines']} documents are this batch's ({truth['linkable']} linkable)"
    )
    rows = (
        ("link precision", _rate(truth["link_precision"]),
         f"{truth['auto_links']} automatic links, {truth['wrong_auto_links']} wrong"),
        ("automatic-link recall", _rate(truth["auto_recall"]),
         "of the linkable documents' true people, linked automatically"),
        ("misfiled caught", _rate(truth["misfiled_caught_rate"]),
         f"{truth['misfiled_caught']} of {truth['misfiled']} misfiled documents"),
        ("true person in top 3", _rate(truth["review_top3_rate"]),
         f"{truth['review_top3']} of {truth['reviewed']} linkable documents sent to review"),
        ("type macro-F1", _rate(truth["type_macro_f1"]),
         f"the types given, against the truth, on {truth['typed']} documents"),
    )  # fmt: skip
    for name, value, meaning in rows:
        print(f"  {name:<22} {value:>6}  {meaning}")
    matrix = truth["type_confusion"]
    print("  types given against the truth (rows: true type, columns: given):")
    print(confusion_table(matrix["classes"], matrix["counts"]))


def quality(args: argparse.Namespace) -> int:
    """Print the batch's report; exit 0 (the figures are the answer, not a verdict)."""
    from api.routes.quality import quality_report
    from catalog.db import session_factory
    from core.errors import InvalidInput
    from records.access import service_caller
    from records.quality import read_truth

    if args.truth is not None and not args.truth.is_file():
        raise InvalidInput(f"ground truth {args.truth} not found")
    settings = ready()
    truth = read_truth(args.truth) if args.truth is not None else None
    with session_factory(settings.database_url)() as session:
        report = quality_report(
            session,
            settings.home,
            args.batch,
            caller=service_caller(f"cli:{getpass.getuser()}"),
            truth=truth,
        )
        session.commit()  # the audit of the look
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return 0
    print(f"Quality of batch {report['batch']}")
    _print_paths(report)
    _print_ocr(report["ocr"])
    _print_types(report["types"])
    if report["truth"] is not None:
        _print_truth(report["truth"], args.truth)
    print(json.dumps(headline(report), sort_keys=True))
    return 0


def register(sub: Any) -> None:
    """Add `escr quality` to the `escr` parser."""
    about = (
        "a batch's measured accuracy: decision paths, OCR confidence, the type model's "
        "cross-validation, and link precision and recall against a ground truth"
    )
    p = sub.add_parser(
        "quality",
        help=about,
        description=about,
        epilog="examples:\n  escr quality archive-3f2a9c\n"
        "  escr quality archive-3f2a9c --truth var/archive/truth.csv\n"
        "  escr quality archive-3f2a9c --truth checked-sample.csv --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("batch", help="the batch's name (escr batches lists them)")
    p.add_argument(
        "--truth",
        type=Path,
        help="a ground truth CSV: source_document_id, person_ids and optionally source_system, "
        "linkable, misfiled, doc_type (escr synth --noise writes truth.csv)",
    )
    p.add_argument("--json", action="store_true", help="the whole report as one JSON line")
    p.set_defaults(func=quality)
