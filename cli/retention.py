"""`escr retention ...`, `escr hold ...` and `escr audit ...`: faces over retention/ and the audit.

The actor is `cli:<login>`, or `--as USER` proven by their password on stdin
(`--password-stdin`): an active local user with the IG officer or administrator role. An
approval, a rejection, an execution or a hold's release needs `--as`: a named person answers
for it. Nothing here sets the day a decision is taken as of: it is the server's (`forecast
--as-of` only reports).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit, audit_anchor
from catalog.db import unit_of_work
from catalog.models_access import User
from catalog.schema import migrate
from cli.parsing import command
from core.errors import InvalidInput
from core.settings import get_settings
from indexer.base import check_date
from indexer.factory import make_index
from records.access import _deny, service_caller
from retention import certificates, disposal, hold_match, holds, locks
from retention.appraise import evaluate_and_audit
from retention.destroy import execute
from retention.periods import server_today
from retention.rules import current_evaluator, reading_evaluator
from retention.verify import stored_certificate, verify_destruction
from storage.factory import make_blob_store

Handler = Callable[[argparse.Namespace], int]


GOVERNANCE_ROLES = frozenset({"ig_officer", "administrator"})


def _login() -> str:
    return f"cli:{getpass.getuser()}"


def _refuse(session: Session, what: str, why: str) -> NoReturn:
    """Audit the refusal as the login at the keyboard (committed), then fail the command."""
    _deny(session, service_caller(_login()), "function", what, why)
    raise AssertionError("_deny raises")  # for the type checker


def _proven(session: Session, args: argparse.Namespace, what: str) -> str:
    """The `--as` user, once their stdin password matches and they are an active IG user."""
    username = str(args.as_user)
    if not args.password_stdin:
        _refuse(session, what, f"--as {username} needs their password: add --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    user = session.get(User, username)
    stored = user.password_hash if user is not None else ""
    # Hash even for an unknown user, so a wrong name costs what a wrong password does.
    matches = rows.verify_password(password, stored or rows.hash_password("no such user"))
    if user is None or not stored or not matches:
        _refuse(session, what, f"--as {username}: unknown user or wrong password")
    if not user.active or not set(user.roles) & GOVERNANCE_ROLES:
        _refuse(session, what, f"--as {username}: not an active IG officer or administrator")
    return username


def _actor(session: Session, args: argparse.Namespace, what: str, *, person: bool = False) -> str:
    """Who does `what`: the proven `--as` user, else `cli:<login>` unless a person must."""
    if args.as_user:
        return _proven(session, args, what)
    if person:
        _refuse(session, what, f"{what} needs --as USER --password-stdin (an IG officer)")
    return _login()


def _print(value: object) -> None:
    print(json.dumps(value, default=str, indent=2, sort_keys=True))


def _url() -> str:
    settings = get_settings()
    migrate(settings.database_url)
    return settings.database_url


def sweep(args: argparse.Namespace) -> int:
    settings = get_settings()
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "retention sweep")
        evaluator = current_evaluator(session, settings.home, actor=actor)
        proposal, summary = disposal.sweep(
            session,
            evaluator,
            actor=actor,
            today=server_today(),
            store=make_blob_store(settings),
        )
        _print({"proposal_id": proposal.id if proposal else None, **summary})
    return 0


def forecast(args: argparse.Namespace) -> int:
    """What would be due on --as-of: writes nothing but the audit event of the report."""
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "retention forecast")
        evaluator = reading_evaluator(session, get_settings().home)
        _print(disposal.forecast(session, evaluator, actor=actor, as_of=args.as_of))
    return 0


def evaluate(args: argparse.Namespace) -> int:
    settings = get_settings()
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "retention evaluate")
        evaluator = current_evaluator(session, settings.home, actor=actor)
        counts = evaluate_and_audit(
            session,
            evaluator,
            actor=actor,
            today=server_today(),
            store=make_blob_store(settings),
            document_ids=args.document or None,
            full=args.full,
        )
        _print({"rule_version": evaluator.version, **counts})
    return 0


def drift(args: argparse.Namespace) -> int:
    """Exit 1 where the store's locks differ from the catalog's decisions and holds."""
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "retention drift")
        report = locks.drift(session, make_blob_store(get_settings()))
        audit.record(
            session,
            actor=actor,
            action="retention_drift",
            target_type="store",
            detail={"checked": report["checked"], "drift": len(report["drift"])},
        )
        _print(report)
    return 1 if report["drift"] else 0


def proposals(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "retention proposals")
        if args.proposal_id is not None:
            _print(disposal.view_and_audit(session, args.proposal_id, actor=actor))
        else:
            _print(disposal.list_and_audit(session, actor=actor))
    return 0


def _review(args: argparse.Namespace, decision: str) -> int:
    with unit_of_work(_url()) as session:
        what = f"retention {decision} proposal {args.proposal_id}"
        counts = disposal.review(
            session,
            args.proposal_id,
            actor=_actor(session, args, what, person=True),
            decision=decision,
            justification=args.justification,
            item_ids=args.item or None,
            action=getattr(args, "action", "destroy"),
            value=getattr(args, "value", ""),
        )
        _print(counts)
    return 0


def approve(args: argparse.Namespace) -> int:
    return _review(args, "approve")


def reject(args: argparse.Namespace) -> int:
    return _review(args, "reject")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    with unit_of_work(_url()) as session:
        what = f"retention execute proposal {args.proposal_id}"
        actor = _actor(session, args, what, person=True)
        evaluator = current_evaluator(session, settings.home, actor=actor)
        outcome = execute(
            session,
            args.proposal_id,
            actor=actor,
            evaluator=evaluator,
            store=make_blob_store(settings),
            index=make_index(settings),
            home=settings.home,
            today=server_today(),
        )
        _print(
            {
                "certificate_id": outcome.certificate_id,
                "certificate": str(outcome.certificate_path or ""),
                "transfer_package": str(outcome.transfer_package or ""),
                **outcome.counts,
            }
        )
    return 0


def verify(args: argparse.Namespace) -> int:
    settings = get_settings()
    public = (
        args.public_key.read_bytes()
        if args.public_key
        else certificates.export_public_key(settings.home / "keys")
    )
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "retention verify-destruction")
        path = Path(args.certificate)
        cert = (
            certificates.read_certificate(path)
            if path.is_file()
            else stored_certificate(session, args.certificate)
        )
        problems = verify_destruction(
            session,
            cert,
            public_key_pem=public,
            store=make_blob_store(settings),
            index=make_index(settings),
        )
        audit.record(
            session,
            actor=actor,
            action="verify_destruction",
            target_type="certificate",
            target_id=cert["body"]["certificate_id"],
            detail={"problems": len(problems)},
        )
    for problem in problems:
        print(problem, file=sys.stderr)
    print("verified" if not problems else f"{len(problems)} problems")
    return 0 if not problems else 1


def public_key(_args: argparse.Namespace) -> int:
    sys.stdout.write(certificates.export_public_key(get_settings().home / "keys").decode())
    return 0


def hold_add(args: argparse.Namespace) -> int:
    criteria: dict[str, Any] = {
        "classes": args.record_class,
        "person_ids": args.person,
        "source_systems": args.source,
        "date_from": args.date_from,
        "date_to": args.date_to,
        "query": args.query,
    }
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "hold add")
        hold, matched = holds.add_hold(
            session,
            name=args.name,
            reason_type=args.reason_type,
            authority=args.authority,
            owner=args.owner or actor,
            criteria=criteria,
            actor=actor,
            store=make_blob_store(get_settings()),
        )
        _print({**holds.hold_json(hold), "matched_now": matched})
    return 0


def hold_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from catalog.models_retention import LegalHold

    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "hold list")
        found = (
            session.scalars(select(LegalHold).order_by(LegalHold.id)).all()
            if args.all
            else hold_match.active_holds(session)
        )
        audit.record(session, actor=actor, action="hold_list", target_type="hold")
        _print([holds.hold_json(h) for h in found])
    return 0


def hold_release(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        review = holds.release_hold(
            session,
            args.hold_id,
            actor=_actor(session, args, "hold release", person=True),
            reason=args.reason,
            store=make_blob_store(get_settings()),
        )
        _print({"hold_id": args.hold_id, "reappraise": review})
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        # The chain, and every signed checkpoint of it kept outside the database.
        checked = audit_anchor.verify_and_anchor(session, get_settings())
        head_hash, count = audit.head(session)
    problems = checked.problems
    for problem in problems:
        print(problem, file=sys.stderr)
    state = "intact" if not problems else "BROKEN"
    print(f"{count} events, head {head_hash}, {checked.checkpoints} checkpoints: {state}")
    return 0 if not problems else 1


def audit_person(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        actor = _actor(session, args, "audit person")
        report = audit.person_report(session, args.person_id, reads_only=args.reads_only)
        audit.record(
            session,
            actor=actor,
            action="audit_person",
            target_type="person",
            target_id=args.person_id,
            detail={"events": len(report)},
        )
        _print(report)
    return 0


def _add(
    sub: Any, name: str, func: Handler, help_text: str, examples: Sequence[str] = ()
) -> argparse.ArgumentParser:
    p = command(sub, name, help_text, examples)
    p.add_argument(
        "--as",
        dest="as_user",
        default="",
        help="an IG officer or administrator acting (default cli:<login>); needs --password-stdin",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the --as user's password from stdin"
    )
    p.set_defaults(func=func)
    return p


def _as_of(value: str) -> date:
    try:
        return check_date(date.fromisoformat(value), "--as-of")
    except (ValueError, InvalidInput) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _retention(sub: Any) -> None:
    group = sub.add_parser("retention", help="retention appraisal and disposal")
    cmds = group.add_subparsers(dest="retention_command", required=True)
    _add(
        cmds,
        "sweep",
        sweep,
        "evaluate everything and propose what is due today",
        ["escr retention sweep"],
    )
    p = _add(
        cmds,
        "forecast",
        forecast,
        "report what would be due on a date (writes nothing)",
        ["escr retention forecast --as-of 2030-01-01"],
    )
    p.add_argument("--as-of", type=_as_of, required=True, help="the day (YYYY-MM-DD)")
    p = _add(
        cmds,
        "evaluate",
        evaluate,
        "re-evaluate documents (all, or --document ID...)",
        ["escr retention evaluate", "escr retention evaluate --document 42 --full"],
    )
    p.add_argument(
        "--document", type=int, action="append", default=[], help="a document ID (repeatable)"
    )
    p.add_argument("--full", action="store_true", help="decide again even where nothing changed")
    _add(
        cmds,
        "drift",
        drift,
        "blobs whose store locks differ from the catalog (exit 1 if any)",
        ["escr retention drift"],
    )
    p = _add(
        cmds,
        "proposals",
        proposals,
        "list proposals, or show one with its items",
        ["escr retention proposals", "escr retention proposals 3"],
    )
    p.add_argument("proposal_id", type=int, nargs="?", help="show this proposal's items")
    for name, func in (("approve", approve), ("reject", reject)):
        p = _add(
            cmds,
            name,
            func,
            f"{name} items of a proposal",
            [
                f"printf '%s\\n' \"$PASSWORD\" | escr retention {name} 3 --item 7 "
                "--justification 'reviewed against the schedule' --as ig1 --password-stdin"
            ],
        )
        p.add_argument("proposal_id", type=int, help="the proposal's ID")
        p.add_argument("--justification", required=True, help="why, for the audit log")
        p.add_argument(
            "--item", type=int, action="append", default=[], help="item IDs (default all)"
        )
        if name == "approve":
            p.add_argument(
                "--action",
                choices=disposal.ACTIONS,
                default="destroy",
                help="what happens to the items (destroy)",
            )
            p.add_argument("--value", default="", help="extend: new date; reclassify: class")
    p = _add(
        cmds,
        "execute",
        run,
        "carry out the approved items; prints the certificate and package",
        ["escr retention execute 3"],
    )
    p.add_argument("proposal_id", type=int, help="the proposal's ID")
    p = _add(
        cmds,
        "verify-destruction",
        verify,
        "check a certificate and that nothing is left",
        ["escr retention verify-destruction 5", "escr retention verify-destruction cert.json"],
    )
    p.add_argument("certificate", help="a certificate file or ID")
    p.add_argument("--public-key", type=Path, help="PEM file (default: this service's key)")
    _add(
        cmds,
        "public-key",
        public_key,
        "print the public key that verifies certificates",
        ["escr retention public-key > escr-certificates.pem"],
    )


def _hold(sub: Any) -> None:
    group = sub.add_parser("hold", help="legal holds")
    cmds = group.add_subparsers(dest="hold_command", required=True)
    p = _add(
        cmds,
        "add",
        hold_add,
        "make a hold from criteria (every document matching all of them, now and later)",
        [
            "escr hold add --name 'Smith inquiry' --reason-type inquiry "
            "--authority 'Inquiry notice 2026/4' --person MOS1",
            "escr hold add --name 'Complaint 118' --reason-type complaint --authority 'complaints "
            "team' --source PARIS --date-from 2015-01-01 --date-to 2016-12-31",
        ],
    )
    p.add_argument("--name", required=True, help="the hold's name")
    p.add_argument(
        "--reason-type", required=True, choices=holds.REASON_TYPES, help="why records are held"
    )
    p.add_argument("--authority", required=True, help="who or what requires the hold")
    p.add_argument("--owner", default="", help="who answers for the hold (default: the actor)")
    p.add_argument(
        "--class",
        dest="record_class",
        action="append",
        default=[],
        help="only this retention class (repeatable)",
    )
    p.add_argument(
        "--person", action="append", default=[], help="only on this person ID (repeatable)"
    )
    p.add_argument(
        "--source", action="append", default=[], help="only from this source system (repeatable)"
    )
    p.add_argument("--date-from", help="only documents dated on or after (YYYY-MM-DD)")
    p.add_argument("--date-to", help="only documents dated on or before (YYYY-MM-DD)")
    p.add_argument("--query", default="", help="only documents whose text has all these words")
    p = _add(
        cmds,
        "list",
        hold_list,
        "active holds (--all: released ones too)",
        ["escr hold list", "escr hold list --all"],
    )
    p.add_argument("--all", action="store_true", help="released holds too")
    p = _add(
        cmds,
        "release",
        hold_release,
        "release a hold; prints the re-appraisal list",
        [
            "printf '%s\\n' \"$PASSWORD\" | escr hold release 2 --reason 'inquiry closed' "
            "--as ig1 --password-stdin"
        ],
    )
    p.add_argument("hold_id", type=int, help="the hold's ID (escr hold list)")
    p.add_argument("--reason", required=True, help="why, for the audit log")


def _audit(sub: Any) -> None:
    group = sub.add_parser("audit", help="the audit log")
    cmds = group.add_subparsers(dest="audit_command", required=True)
    _add(
        cmds,
        "verify",
        audit_verify,
        "check the hash chain; non-zero when broken",
        ["escr audit verify"],
    )
    p = _add(
        cmds,
        "person",
        audit_person,
        "who looked at this person's record",
        ["escr audit person MOS1 --reads-only"],
    )
    p.add_argument("person_id", help="the person's ID in the target system")
    p.add_argument("--reads-only", action="store_true", help="only reads, not changes")


def register(sub: Any) -> None:
    """Add the retention, hold and audit command groups."""
    _retention(sub)
    _hold(sub)
    _audit(sub)
