"""`escr user`, `escr allocate`/`unallocate`, `escr grant`/`revoke` and `escr restrict`/
`unrestrict`: who may see what, given and taken away.

Each change is audited as the CLI's local administrator, `cli:<login>` (records/administer.py,
records/restrict.py).
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog import access as rows
from catalog.db import unit_of_work
from catalog.schema import migrate
from core.errors import InvalidInput
from core.settings import get_settings
from records import administer

MIN_PASSWORD = 12


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _url() -> str:
    settings = get_settings()
    migrate(settings.database_url)
    return settings.database_url


def _print(value: object) -> None:
    print(json.dumps(value, sort_keys=True))


def _password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    # One line from stdin, so `printf '%s\n' "$PW" | escr user add ...` works in scripts.
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def user_add(args: argparse.Namespace) -> int:
    """Create or update a local user; prints every team they are now in."""
    password = _password(args)
    with unit_of_work(_url()) as session:
        _print(
            administer.add_user(
                session,
                _actor(),
                username=args.username,
                roles=args.role,
                teams=args.team,
                password=password,
            )
        )
    return 0


def user_show(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        _print(administer.user_summary(session, args.username))
    return 0


def user_teams(args: argparse.Namespace) -> int:
    """Set a user's exact team list (`--team` again for each; none leaves them in no team)."""
    with unit_of_work(_url()) as session:
        _print(
            administer.set_teams(
                session, _actor(), username=args.username, teams=args.team, reason=args.reason
            )
        )
    return 0


def user_remove_team(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        _print(
            administer.remove_team(
                session, _actor(), username=args.username, team=args.team, reason=args.reason
            )
        )
    return 0


def _user_active(args: argparse.Namespace, active: bool) -> int:
    with unit_of_work(_url()) as session:
        _print(
            administer.set_active(
                session, _actor(), username=args.username, active=active, reason=args.reason
            )
        )
    return 0


def user_deactivate(args: argparse.Namespace) -> int:
    """Deactivate a user: their web sessions end at once."""
    return _user_active(args, False)


def user_reactivate(args: argparse.Namespace) -> int:
    return _user_active(args, True)


def _allocate_one(session: Session, person_id: str, team: str, source: str) -> bool:
    return administer.allocate(session, _actor(), person_id=person_id, team=team, source=source)


def _read_allocations(path: Path) -> list[tuple[int, str, str]]:
    """(line, person_id, team) rows of a CSV with `person_id` and `team` columns."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "person_id" not in fields or "team" not in fields:
            raise InvalidInput(f"{path}: needs columns person_id and team")
        found = []
        for line, row in enumerate(reader, start=2):
            person = (row.get(fields["person_id"]) or "").strip()
            team = (row.get(fields["team"]) or "").strip()
            if not person or not team:
                print(f"{path}:{line}: skipped, person_id and team are required", file=sys.stderr)
                continue
            found.append((line, person, team))
        return found


def allocate(args: argparse.Namespace) -> int:
    if args.file is None and (args.person_id is None or args.team is None):
        raise InvalidInput("give PERSON_ID TEAM, or --file allocations.csv")
    with unit_of_work(_url()) as session:
        if args.file is not None:
            wanted = _read_allocations(args.file)
            added = sum(_allocate_one(session, p, t, args.file.name) for _, p, t in wanted)
            _print({"rows": len(wanted), "added": added})
        elif args.move_from is not None:
            _print(
                administer.move(
                    session,
                    _actor(),
                    person_id=args.person_id,
                    from_team=args.move_from,
                    to_team=args.team,
                    reason=args.reason or "",
                )
            )
        else:
            added = int(_allocate_one(session, args.person_id, args.team, "cli"))
            _print({"person_id": args.person_id, "team": args.team, "added": added})
    return 0


def unallocate(args: argparse.Namespace) -> int:
    """End a person's allocation to a team."""
    with unit_of_work(_url()) as session:
        _print(
            administer.deallocate(
                session, _actor(), person_id=args.person_id, team=args.team, reason=args.reason
            )
        )
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2027-03-31") from None


def grant(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        _print(
            administer.grant(
                session,
                _actor(),
                username=args.username,
                restriction=args.restriction,
                reason=args.reason,
                expires=args.expires,
            )
        )
    return 0


def revoke(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        _print(
            administer.revoke(
                session,
                _actor(),
                username=args.username,
                restriction=args.restriction,
                reason=args.reason,
            )
        )
    return 0


def restrict(args: argparse.Namespace) -> int:
    """Mark a person or document restricted, then re-index what that changes."""
    from records.restrict import mark_restricted

    settings = get_settings()
    with unit_of_work(_url()) as session:
        count = mark_restricted(
            session,
            settings,
            target_type=args.target_type,
            target_id=args.target_id,
            restriction=args.restriction,
            reason=args.reason,
            actor=_actor(),
        )
        _print({"reindexed": count})
    return 0


def unrestrict(args: argparse.Namespace) -> int:
    """Lift a person's or document's mark, then re-index what that changes."""
    from records.restrict import lift_restriction

    settings = get_settings()
    with unit_of_work(_url()) as session:
        count = lift_restriction(
            session,
            settings,
            target_type=args.target_type,
            target_id=args.target_id,
            restriction=args.restriction,
            reason=args.reason,
            actor=_actor(),
        )
        _print({"reindexed": count})
    return 0


def _register_users(sub: Any) -> None:
    p = sub.add_parser("user", help="local users: add, show, teams, deactivate")
    users = p.add_subparsers(dest="user_command", required=True)
    q = users.add_parser("add", help="add or update a local user (adds teams; prints them all)")
    q.add_argument("username")
    q.add_argument("--role", action="append", required=True, choices=rows.ROLES)
    q.add_argument("--team", action="append", default=[])
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    q.set_defaults(func=user_add)
    q = users.add_parser("show", help="a user's roles, teams, grants and whether active")
    q.add_argument("username")
    q.set_defaults(func=user_show)
    q = users.add_parser("teams", help="set a user's exact teams (no --team: none)")
    q.add_argument("username")
    q.add_argument("--team", action="append", default=[])
    q.add_argument("--reason", default="")
    q.set_defaults(func=user_teams)
    q = users.add_parser("remove-team", help="take a user out of one team")
    q.add_argument("username")
    q.add_argument("team")
    q.add_argument("--reason", default="")
    q.set_defaults(func=user_remove_team)
    for name, func, text in (
        ("deactivate", user_deactivate, "deactivate a user (their sessions end at once)"),
        ("reactivate", user_reactivate, "let a deactivated user log in again"),
    ):
        q = users.add_parser(name, help=text)
        q.add_argument("username")
        q.add_argument("--reason", required=True)
        q.set_defaults(func=func)


def register(sub: Any) -> None:
    """Add the access commands to the `escr` parser."""
    _register_users(sub)

    p = sub.add_parser("allocate", help="allocate a person to a team (or --file a CSV of them)")
    p.add_argument("person_id", nargs="?")
    p.add_argument("team", nargs="?")
    p.add_argument("--file", type=Path, help="CSV with person_id and team columns")
    p.add_argument(
        "--from", dest="move_from", metavar="OLD_TEAM", help="move from this team (with --reason)"
    )
    p.add_argument("--reason")
    p.set_defaults(func=allocate)

    p = sub.add_parser("unallocate", help="end a person's allocation to a team")
    p.add_argument("person_id")
    p.add_argument("team")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=unallocate)

    p = sub.add_parser("grant", help="grant a user a restricted class (optionally until a date)")
    p.add_argument("username")
    p.add_argument("restriction", choices=rows.RESTRICTIONS)
    p.add_argument("--reason", required=True)
    p.add_argument("--expires", type=_date, help="last day of the grant, YYYY-MM-DD")
    p.set_defaults(func=grant)

    p = sub.add_parser("revoke", help="take a restricted class away from a user")
    p.add_argument("username")
    p.add_argument("restriction", choices=rows.RESTRICTIONS)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=revoke)

    for name, func, text in (
        ("restrict", restrict, "mark a person or document as a restricted class"),
        ("unrestrict", unrestrict, "lift a person's or document's restricted-class mark"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("target_type", choices=("person", "document"))
        p.add_argument("target_id")
        p.add_argument("restriction", choices=rows.RESTRICTIONS)
        p.add_argument("--reason", required=True)
        p.set_defaults(func=func)
