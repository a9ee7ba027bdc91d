"""`escr sar include | exclude | reuse`: a person's decision on a collated document (a
candidate reaches the bundle only this way), and starting a request from the same person's last
release (records/sar_review.py; docs/decisions/0040). Each command's last stdout line is one
JSON object, as the other `escr sar` commands print.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from catalog.db import unit_of_work
from cli.retention import _actor, _add, _url
from records import sar_review


def _line(value: object) -> None:
    print(json.dumps(value, default=str, sort_keys=True))


def _decide(decision: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        with unit_of_work(_url()) as session:
            actor = _actor(session, args, f"sar {decision}")
            item = sar_review.decide_item(
                session, args.sar_id, args.document, actor=actor, decision=decision,
                reason=args.reason,
            )  # fmt: skip
            _line(
                {
                    "sar_id": args.sar_id,
                    "document_id": args.document,
                    "status": item.status,
                    "decided_by": item.decided_by,
                }
            )
        return 0

    return run


def sar_reuse(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar reuse")
        _line(sar_review.start_from_last_release(session, args.sar_id, actor=actor))
    return 0


def register(cmds: Any) -> None:
    """Add the document decisions and `reuse` to `escr sar`."""
    for decision, verb, text in (
        ("include", "include", "include a collated document (a candidate) in the bundle"),
        ("exclude", "exclude", "leave a collated document out of the bundle"),
    ):
        p = _add(
            cmds,
            verb,
            _decide(decision),
            f"{text}, with a reason (kept when collating again)",
            [f"escr sar {verb} 4 17 --reason 'Tom's note is about Jane too'"],
        )
        p.add_argument("sar_id", type=int, help="the request's ID")
        p.add_argument("document", type=int, help="the document's ID (escr sar collate --json)")
        p.add_argument("--reason", required=True, help="why, kept with the decision")
    p = _add(
        cmds,
        "reuse",
        sar_reuse,
        "start a collated request from the person's last release: its decided candidates and "
        "redactions reused (a second sign-off needed again), documents new since then listed",
        ["escr sar reuse 9"],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
