"""`escr classify`: train the learned document-type model and show its measured quality
(docs/decisions/0032)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.common import ready
from cli.parsing import command


def train_types(args: argparse.Namespace) -> int:
    """Train on every labelled document, store the model as a new version, classify the
    unlabelled with it; print the figures as one JSON line. Exit 1 when there is too little to
    learn from (the keyword rules go on classifying)."""
    from catalog.db import session_factory
    from core.clock import utcnow
    from indexer.factory import make_index
    from workers.learn_types import classify_unlabelled, train
    from workers.sources.mapping import load_mapping
    from workers.type_model import TooFewLabels, usable_model

    settings = ready()
    mapping = load_mapping(args.mapping)
    with session_factory(settings.database_url)() as session:
        try:
            trained = train(session, mapping, settings.home, now=utcnow())
        except TooFewLabels as exc:
            print(f"not trained: {exc}", file=sys.stderr)
            return 1
        model = usable_model(trained.path)
        outcome = {}
        if model is not None and not args.no_apply:
            outcome = dict(
                classify_unlabelled(
                    session, make_index(settings), mapping, model, now=utcnow(), batch=args.batch
                )
            )
    about = trained.about
    print(
        json.dumps(
            {
                "version": about.version,
                "model": str(trained.path),
                "documents": about.trained_on,
                "from_codes": about.extra.get("from_codes"),
                "from_people": about.extra.get("from_people"),
                "types_left_out": about.extra.get("left_out"),
                "macro_f1": about.macro_f1,
                "unlabelled": outcome,
            },
            sort_keys=True,
        )
    )
    return 0


def show_types(args: argparse.Namespace) -> int:
    """The current model's cross-validated macro-F1, per-type F1 and confusion matrix."""
    from workers.type_quality import type_quality

    settings = ready()
    quality = type_quality(settings.home)
    if quality is None:
        print("no usable model: the keyword rules classify", file=sys.stderr)
        return 1
    print(
        f"model v{quality.version}, trained {quality.trained_at} on {quality.trained_on} "
        f"labelled documents; 5-fold cross-validated macro-F1 {quality.macro_f1:.3f}"
    )
    for doc_type in quality.classes:
        print(
            f"  {doc_type:<20} F1 {quality.per_class_f1.get(doc_type, 0):.3f}  "
            f"({quality.support.get(doc_type, 0)} documents)"
        )
    print("confusion (rows: true type, columns: predicted):")
    print(quality.confusion_table())
    return 0


def register(sub: Any) -> None:
    """Add `escr classify train` and `escr classify show` to the `escr` parser."""
    about = "the learned document-type model: train it, or show its measured quality"
    p = sub.add_parser(
        "classify",
        help=about,
        description=about,
        epilog="examples:\n  escr classify train\n  escr classify train --batch round-2\n"
        "  escr classify show",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", required=True)
    t = command(
        actions,
        "train",
        "train on the labelled documents, then classify the rest",
        ["escr classify train", "escr classify train --batch round-2 --mapping mapping.yaml"],
    )
    t.add_argument("--mapping", type=Path, help="the mapping whose legacy type codes label")
    t.add_argument("--batch", help="classify again only this batch's unlabelled documents")
    t.add_argument("--no-apply", action="store_true", help="train only; classify nothing")
    t.set_defaults(func=train_types)
    s = command(
        actions,
        "show",
        "cross-validated macro-F1 and confusion matrix",
        ["escr classify show"],
    )
    s.set_defaults(func=show_types)
