"""`escr sar redact | decide | approve | redactions | bundle`: redactions, their second sign-off
and the bundle (records/sar_redact.py, api/sar_release.py; docs/decisions/0034).

Each command's last stdout line is one JSON object. `escr sar bundle` exits 0 only when the
release gate passed and DIR/bundle.pdf and DIR/bundle.zip were written; otherwise 1, with the
gate's findings on stderr, and nothing under those names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from catalog.db import unit_of_work
from cli.retention import _actor, _add, _url
from core.settings import get_settings
from records import sar_redact
from retention.periods import server_today


def _line(value: object) -> None:
    print(json.dumps(value, default=str, sort_keys=True))


def _codes() -> dict[str, sar_redact.Exemption]:
    return sar_redact.exemptions(get_settings().sar.exemptions_file)


def sar_redact_command(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar redact")
        box = None
        if args.box:
            page, x, y, w, h = args.box
            box = sar_redact.PageBox(int(page), x, y, w, h)
        made = sar_redact.add(
            session,
            args.sar_id,
            actor=actor,
            code=args.code,
            reason=args.reason,
            term=args.term or "",
            box=box,
            document_id=args.document,
            codes=_codes(),
        )
        _line({"redactions": [sar_redact.redaction_json(row) for row in made]})
    return 0


def sar_decide(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar decide")
        if args.term or args.box:
            box = sar_redact.PageBox(int(args.box[0]), *args.box[1:]) if args.box else None
            row = sar_redact.move(
                session, args.sar_id, args.redaction, actor=actor, reason=args.reason,
                term=args.term or "", box=box,
            )  # fmt: skip
        else:
            row = sar_redact.decide(
                session, args.sar_id, args.redaction, actor=actor, decision=args.decision,
                code=args.code, reason=args.reason, codes=_codes(),
            )  # fmt: skip
        _line(sar_redact.redaction_json(row))
    return 0


def sar_approve(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar approve", person=True)
        _line(sar_redact.approve(session, args.sar_id, actor=actor, codes=_codes()))
    return 0


def sar_redactions(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        _actor(session, args, "sar redactions")
        rows = sar_redact._rows(session, args.sar_id)
        blocked = sar_redact.blockers(session, args.sar_id, _codes())
        _line({"redactions": [sar_redact.redaction_json(r) for r in rows], "blockers": blocked})
    return 0


def sar_suggest(args: argparse.Namespace) -> int:
    from records import sar_suggest as suggestions

    sar = get_settings().sar
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar suggest")
        _line(
            suggestions.run(
                session, args.sar_id, actor=actor, code=args.code or sar.suggest_code,
                council_domains=sar.council_domains, staff_names=sar.staff_names,
                role_words=sar.role_words, exemptions_file=sar.exemptions_file,
            )
        )  # fmt: skip
    return 0


def sar_bundle(args: argparse.Namespace) -> int:
    from api.sar_release import outcome_json, release
    from storage.factory import make_blob_store
    from workers.ingest import scratch_folder
    from workers.load import limits_from
    from workers.sandbox import SandboxPool

    settings = get_settings()
    workers = args.workers or os.cpu_count() or 1
    with (
        unit_of_work(_url()) as session,
        scratch_folder(settings.tmp_dir) as scratch,
        SandboxPool(workers, limits_from(settings), scratch) as pool,
    ):
        actor = _actor(session, args, "sar bundle")
        outcome, row = release(
            session,
            args.sar_id,
            actor=actor,
            out_dir=args.out,
            store=make_blob_store(settings),
            pool=pool,
            today=server_today(),
            dpi=settings.sar.bundle_dpi,
        )
    shown = outcome_json(outcome, row)
    if not outcome.ok:
        for problem in outcome.problems:
            print(f"refused: {problem}", file=sys.stderr)
        _line(shown)
        return 1
    _line(shown)
    return 0


def _box(value: str) -> list[float]:
    parts = value.split(",")
    if len(parts) != 5:
        raise argparse.ArgumentTypeError("a box is PAGE,X,Y,W,H (points from the top left)")
    try:
        return [float(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: numbers expected") from None


def register(cmds: Any) -> None:
    """Add the redaction, sign-off and bundle commands to `escr sar`."""
    p = _add(
        cmds,
        "redact",
        sar_redact_command,
        "redact every occurrence of a term (in one document or all), or a box on a page",
        [
            "escr sar redact 4 --term 'Jane Marlow' --code 'Sch2 Pt3 third party' "
            "--reason 'neighbour who referred'",
            "escr sar redact 4 --document 17 --box 2,72,300,200,40 "
            "--code 'Sch3 Pt3 para 11 serious harm' --reason 'would identify the foster carer'",
        ],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
    p.add_argument("--term", help="the text to black out wherever it occurs")
    p.add_argument("--box", type=_box, help="PAGE,X,Y,W,H in points from the page's top left")
    p.add_argument("--code", required=True, help="the exemption code (records/sar_exemptions.yaml)")
    p.add_argument("--reason", required=True, help="why, for the redaction log")
    p.add_argument("--document", type=int, help="only this document (default: every document)")
    p = _add(
        cmds,
        "decide",
        sar_decide,
        "accept or reject a suggested redaction, or move it (a new term or box)",
        ["escr sar decide 4 12 accept --code 'Sch2 Pt3 third party' --reason 'grandmother'"],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
    p.add_argument("redaction", type=int, help="the redaction's ID (escr sar redactions)")
    p.add_argument("decision", choices=("accept", "reject"), help="accept or reject")
    p.add_argument("--code", default="", help="the exemption code (to accept)")
    p.add_argument("--reason", required=True, help="why")
    p.add_argument("--term", help="move: the redaction now covers this term")
    p.add_argument("--box", type=_box, help="move: PAGE,X,Y,W,H")
    p = _add(
        cmds,
        "approve",
        sar_approve,
        "second sign-off of redactions whose code needs one (not by whoever made them)",
        ["escr sar approve 4 --as ig2 --password-stdin"],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
    p = _add(
        cmds,
        "suggest",
        sar_suggest,
        "suggest redactions of third-party information (other people's names, IDs, addresses, "
        "postcodes, phones, emails, NHS numbers) in the included documents, for a reviewer to "
        "accept or reject; professionals in role are left alone",
        ["escr sar suggest 4"],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
    p.add_argument("--code", default="", help="the code suggestions carry (ESCR_SAR__SUGGEST_CODE)")
    p = _add(
        cmds,
        "redactions",
        sar_redactions,
        "every redaction and what blocks the bundle",
        ["escr sar redactions 4"],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
    p = _add(
        cmds,
        "bundle",
        sar_bundle,
        "burn, gate and write DIR/bundle.pdf and DIR/bundle.zip; exit 1 writing neither if the "
        "release gate finds a redacted term",
        ["escr sar bundle 4 --out release/"],
    )
    p.add_argument("sar_id", type=int, help="the request's ID")
    p.add_argument("--out", type=Path, required=True, help="the folder to write into")
    p.add_argument("--workers", type=int, help="sandbox processes (default: one a CPU core)")
