"""`escr sar ...`: subject access requests, a face over records/sar.py and records/sar_collate.py.

Only IG officers and administrators: the actor is `cli:<login>` or `--as USER` proven by their
password on stdin (`--password-stdin`), as in `escr retention` and `escr hold`. The day a due
date is measured from is the server's. Each command's last stdout line is one JSON object
(`escr sar open` prints at least `id` and `due`), for scripts.

Other SAR commands (redaction, approval, the bundle) add their subparsers in `register` below.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from catalog.db import unit_of_work
from cli import sar_release, sar_review
from cli.retention import _actor, _add, _url
from core.errors import InvalidInput
from core.settings import get_settings
from indexer.base import check_date
from records import sar, sar_collate
from retention.periods import server_today
from retention.sar_hold import SarHolds
from storage.factory import make_blob_store


def _line(value: object) -> None:
    """One JSON object on one line: the command's last stdout line."""
    print(json.dumps(value, default=str, sort_keys=True))


def _holds() -> SarHolds:
    return SarHolds(make_blob_store(get_settings()))


def _closures() -> list[date]:
    return list(get_settings().sar.closure_days)


def sar_open(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar open")
        request = sar.open_request(
            session,
            person_id=args.person,
            received=args.received,
            actor=actor,
            today=server_today(),
            holds=_holds(),
            requester_name=args.requester,
            relationship=args.relationship,
            channel=args.channel,
            identity_evidence=args.identity,
            authority_evidence=args.authority,
            notes=args.notes,
            closures=_closures(),
        )
        _line(sar.request_json(session, request, server_today()))
    return 0


def sar_show(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar show")
        _line(sar.show(session, args.sar_id, actor=actor, today=server_today()))
    return 0


def sar_list(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar list")
        today = server_today()
        if args.due:
            lists = sar.due_lists(
                session, actor=actor, today=today, within_days=get_settings().sar.due_soon_days
            )
            for name in ("overdue", "due_soon", "paused"):
                for request in lists[name]:
                    print(f"{name:9} {request.id:>6}  due {request.due}  {request.person_id}")
            _line({k: [r.id for r in v] if isinstance(v, list) else v for k, v in lists.items()})
            return 0
        total, found = sar.list_requests(
            session, actor=actor, status=args.status, person_id=args.person, limit=args.limit
        )
        for request in found:
            print(f"{request.id:>6}  {request.status:9} due {request.due}  {request.person_id}")
        _line({"total": total, "ids": [r.id for r in found]})
    return 0


def sar_pause(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar pause")
        request = sar.pause(
            session,
            args.sar_id,
            reason_type=args.reason_type,
            reason=args.reason,
            actor=actor,
            today=server_today(),
        )
        _line(sar.request_json(session, request, server_today()))
    return 0


def sar_resume(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar resume")
        request = sar.resume(
            session, args.sar_id, actor=actor, today=server_today(), closures=_closures()
        )
        _line(sar.request_json(session, request, server_today()))
    return 0


def sar_extend(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar extend")
        request = sar.extend(
            session,
            args.sar_id,
            reason=args.reason,
            actor=actor,
            today=server_today(),
            closures=_closures(),
        )
        _line(sar.request_json(session, request, server_today()))
    return 0


def sar_close(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar close", person=True)
        request, review = sar.close(
            session, args.sar_id, actor=actor, reason=args.reason, holds=_holds()
        )
        _line({**sar.request_json(session, request, server_today()), "reappraise": review})
    return 0


def sar_collate_command(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "sar collate")
        counts = sar_collate.collate(session, args.sar_id, actor=actor, holds=_holds())
        items = sar_collate.items_json(session, args.sar_id)
    if args.json:
        _line({**counts, "items": items})
        return 0
    for item in items:
        extra = [
            f"same as {item['duplicate_of']}" if item["duplicate_of"] else "",
            f"near-duplicates {item['near_duplicate_group']}"
            if item["near_duplicate_group"]
            else "",
            f"thread '{item['thread_key']}'" if item["thread_key"] else "",
        ]
        print(
            f"{item['status']:9} {item['document_id']:>7}  {item['date'] or '----------'}  "
            f"{item['how_linked']:10} {item['title'][:50]}  "
            f"{' '.join(e for e in extra if e)}".rstrip()
        )
        print(f"{'':9} {'':>7}  {item['link_detail'][:160]}")
    _line(counts)
    return 0


def _received(value: str) -> date:
    try:
        return check_date(date.fromisoformat(value), "--received")
    except (ValueError, InvalidInput) as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD): {exc}") from None


def _sar_id(p: Any) -> None:
    p.add_argument("sar_id", type=int, help="the request's ID (escr sar list)")


def register(sub: Any) -> None:
    """Add the `escr sar` command group."""
    group = sub.add_parser("sar", help="subject access requests")
    cmds = group.add_subparsers(dest="sar_command", required=True)
    p = _add(
        cmds,
        "open",
        sar_open,
        "register a subject access request; prints its ID and due date",
        [
            "escr sar open --person MOS1 --received 2025-03-03",
            "escr sar open --person MOS1 --received 2025-03-03 --requester 'Ash & Co solicitors' "
            "--relationship solicitor --authority 'signed consent of the subject'",
        ],
    )
    p.add_argument("--person", required=True, help="the data subject's person ID")
    p.add_argument("--received", required=True, type=_received, help="received (YYYY-MM-DD)")
    p.add_argument("--requester", default="", help="who asked, when not the subject")
    p.add_argument(
        "--relationship",
        default="subject",
        choices=("subject", "parent", "solicitor", "other"),
        help="the requester's relationship to the subject (subject)",
    )
    p.add_argument(
        "--channel",
        default="other",
        choices=("email", "letter", "web", "phone", "in_person", "other"),
        help="how the request arrived",
    )
    p.add_argument("--identity", default="", help="the evidence of identity seen")
    p.add_argument("--authority", default="", help="the evidence of authority to act")
    p.add_argument("--notes", default="", help="notes")
    p = _add(
        cmds, "show", sar_show, "a request, its clock and its items' counts", ["escr sar show 4"]
    )
    _sar_id(p)
    p = _add(
        cmds,
        "list",
        sar_list,
        "requests, soonest due first (--due: overdue, due soon and paused)",
        ["escr sar list --status open", "escr sar list --due"],
    )
    p.add_argument("--status", default="", help="only this status")
    p.add_argument("--person", default="", help="only this person's")
    p.add_argument("--due", action="store_true", help="the overdue and due-soon lists")
    p.add_argument(
        "--limit",
        type=int,
        default=50,
        choices=range(1, 501),
        metavar="1..500",
        help="at most this many requests (50)",
    )
    p = _add(
        cmds,
        "pause",
        sar_pause,
        "stop the clock from today (waiting for identity or clarification)",
        ["escr sar pause 4 --reason-type identity --reason 'asked for photo ID on 3 March'"],
    )
    _sar_id(p)
    p.add_argument(
        "--reason-type",
        required=True,
        choices=("identity", "clarification", "authority", "other"),
        help="what escr waits for",
    )
    p.add_argument("--reason", required=True, help="what was asked for")
    p = _add(
        cmds,
        "resume",
        sar_resume,
        "start the clock again; the due date moves",
        ["escr sar resume 4"],
    )
    _sar_id(p)
    p = _add(
        cmds,
        "extend",
        sar_extend,
        "extend by two months (only within the first month)",
        ["escr sar extend 4 --reason 'records in five legacy systems'"],
    )
    _sar_id(p)
    p.add_argument("--reason", required=True, help="why the request is complex")
    p = _add(
        cmds,
        "close",
        sar_close,
        "close a request; its hold is released into re-appraisal (needs --as)",
        ["escr sar close 4 --reason 'bundle sent by recorded post' --as ig1 --password-stdin"],
    )
    _sar_id(p)
    p.add_argument("--reason", required=True, help="why, for the audit log")
    p = _add(
        cmds,
        "collate",
        sar_collate_command,
        "collect everything on the person through every identifier, and how each was linked",
        ["escr sar collate 4", "escr sar collate 4 --json"],
    )
    _sar_id(p)
    p.add_argument("--json", action="store_true", help="one JSON object with every item")
    sar_release.register(cmds)  # redact, decide, approve, redactions, bundle (helper 15b)
    sar_review.register(cmds)  # include, exclude, reuse (decision 0040)
