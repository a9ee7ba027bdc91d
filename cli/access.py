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

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import access as rows
from catalog.db import unit_of_work
from catalog.models_access import User
from catalog.schema import migrate
from cli.parsing import command
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
    """Create or update a local user; prints every team they are now in.

    A user without a password is allowed (an OIDC user may need a local row only for their
    grants), but never silently: the note says how to give them one."""
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
        user = session.get(User, args.username)
        if user is not None and not user.password_hash:
            _say_no_password(args.username)
    return 0


def _say_no_password(username: str) -> None:
    print(
        f"escr: note: {username} has no password and cannot log in with one until it is set:\n"
        f"  printf '%s\\n' \"$PASSWORD\" | escr user add {username} --role ROLE "
        "--password-stdin\n"
        "  (an OIDC user logs in through the identity provider and needs none)",
        file=sys.stderr,
    )


def user_list(args: argparse.Namespace) -> int:
    """Every local user: roles, teams, whether active, whether they have a password."""
    with unit_of_work(_url()) as session:
        users = [
            {
                "username": user.username,
                "roles": sorted(user.roles),
                "teams": rows.teams_of(session, user.username),
                "active": user.active,
                "password_set": bool(user.password_hash),
            }
            for user in session.scalars(select(User).order_by(User.username))
        ]
    if args.json:
        _print(users)
    elif not users:
        print(
            "no local users: escr user add USERNAME --role ROLE --password-stdin", file=sys.stderr
        )
    else:
        _print_users(users)
    return 0


def _print_users(users: list[dict[str, Any]]) -> None:
    width = max(len("username"), *(len(u["username"]) for u in users))
    print(f"{'username':<{width}}  {'active':<6}  {'password':<8}  roles / teams")
    for u in users:
        active = "yes" if u["active"] else "no"
        password = "set" if u["password_set"] else "none"
        roles, teams = ",".join(u["roles"]), ",".join(u["teams"]) or "-"
        print(f"{u['username']:<{width}}  {active:<6}  {password:<8}  {roles} / {teams}")


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


def _change_restriction(args: argparse.Namespace, *, lift: bool) -> int:
    """Mark (or lift) a person's or document's restricted class, then re-index what changes."""
    from records.restrict import lift_restriction, mark_restricted

    change = lift_restriction if lift else mark_restricted
    with unit_of_work(_url()) as session:
        count = change(
            session,
            get_settings(),
            target_type=args.target_type,
            target_id=args.target_id,
            restriction=args.restriction,
            reason=args.reason,
            actor=_actor(),
        )
        _print({"reindexed": count})
    return 0


def restrict(args: argparse.Namespace) -> int:
    return _change_restriction(args, lift=False)


def unrestrict(args: argparse.Namespace) -> int:
    return _change_restriction(args, lift=True)


USERNAME_HELP = "the user's login name"
REASON_HELP = "why, for the audit log"


def _register_users(sub: Any) -> None:
    p = sub.add_parser("user", help="local users: add, list, show, teams, deactivate")
    users = p.add_subparsers(dest="user_command", required=True)
    q = command(
        users,
        "add",
        "add or update a local user (adds teams; prints them all)",
        [
            "printf '%s\\n' \"$PASSWORD\" | escr user add alice --role practitioner "
            "--team 'Children North' --password-stdin",
            "escr user add bob --role migration_officer --role ig_officer",
        ],
    )
    q.add_argument("username", help=USERNAME_HELP)
    q.add_argument(
        "--role",
        action="append",
        required=True,
        choices=rows.ROLES,
        help="a role (repeatable)",
    )
    q.add_argument("--team", action="append", default=[], help="add to this team (repeatable)")
    q.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password from stdin ({MIN_PASSWORD} characters at least); without it a "
        "new user cannot log in with a password",
    )
    q.set_defaults(func=user_add)
    q = command(
        users,
        "list",
        "every local user: roles, teams, active, password set",
        ["escr user list", "escr user list --json"],
    )
    q.add_argument("--json", action="store_true", help="a JSON list")
    q.set_defaults(func=user_list)
    q = command(
        users, "show", "a user's roles, teams, grants and whether active", ["escr user show alice"]
    )
    q.add_argument("username", help=USERNAME_HELP)
    q.set_defaults(func=user_show)
    q = command(
        users,
        "teams",
        "set a user's exact teams (no --team: none)",
        ["escr user teams alice --team 'Children North' --team 'Children South'"],
    )
    q.add_argument("username", help=USERNAME_HELP)
    q.add_argument("--team", action="append", default=[], help="a team (repeatable)")
    q.add_argument("--reason", default="", help=REASON_HELP)
    q.set_defaults(func=user_teams)
    q = command(
        users,
        "remove-team",
        "take a user out of one team",
        ["escr user remove-team alice 'Children North' --reason 'moved to adults'"],
    )
    q.add_argument("username", help=USERNAME_HELP)
    q.add_argument("team", help="the team to leave")
    q.add_argument("--reason", default="", help=REASON_HELP)
    q.set_defaults(func=user_remove_team)
    for name, func, text in (
        ("deactivate", user_deactivate, "deactivate a user (their sessions end at once)"),
        ("reactivate", user_reactivate, "let a deactivated user log in again"),
    ):
        q = command(users, name, text, [f"escr user {name} alice --reason 'left the service'"])
        q.add_argument("username", help=USERNAME_HELP)
        q.add_argument("--reason", required=True, help=f"{REASON_HELP} (10 characters at least)")
        q.set_defaults(func=func)


def register(sub: Any) -> None:
    """Add the access commands to the `escr` parser."""
    _register_users(sub)

    p = command(
        sub,
        "allocate",
        "allocate a person to a team (or --file a CSV of them)",
        [
            "escr allocate MOS1 'Children North'",
            "escr allocate --file allocations.csv",
            "escr allocate MOS1 'Children South' --from 'Children North' --reason 'moved area'",
        ],
    )
    p.add_argument("person_id", nargs="?", help="the person's ID in the target system")
    p.add_argument("team", nargs="?", help="the team")
    p.add_argument("--file", type=Path, help="CSV with person_id and team columns")
    p.add_argument(
        "--from", dest="move_from", metavar="OLD_TEAM", help="move from this team (with --reason)"
    )
    p.add_argument("--reason", help=REASON_HELP)
    p.set_defaults(func=allocate)

    p = command(
        sub,
        "unallocate",
        "end a person's allocation to a team",
        ["escr unallocate MOS1 'Children North' --reason 'case closed'"],
    )
    p.add_argument("person_id", help="the person's ID in the target system")
    p.add_argument("team", help="the team")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.set_defaults(func=unallocate)

    p = command(
        sub,
        "grant",
        "grant a user a restricted class (optionally until a date)",
        ["escr grant alice adoption --reason 'adoption team cover' --expires 2027-03-31"],
    )
    p.add_argument("username", help=USERNAME_HELP)
    p.add_argument("restriction", choices=rows.RESTRICTIONS, help="the restricted class")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.add_argument("--expires", type=_date, help="last day of the grant, YYYY-MM-DD")
    p.set_defaults(func=grant)

    p = command(
        sub,
        "revoke",
        "take a restricted class away from a user",
        ["escr revoke alice adoption --reason 'cover ended'"],
    )
    p.add_argument("username", help=USERNAME_HELP)
    p.add_argument("restriction", choices=rows.RESTRICTIONS, help="the restricted class")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.set_defaults(func=revoke)

    for name, func, text in (
        ("restrict", restrict, "mark a person or document as a restricted class"),
        ("unrestrict", unrestrict, "lift a person's or document's restricted-class mark"),
    ):
        p = command(
            sub,
            name,
            text,
            [
                f"escr {name} person MOS1 adoption --reason 'adoption order made'",
                f"escr {name} document 42 staff --reason 'staff member is the subject'",
            ],
        )
        p.add_argument("target_type", choices=("person", "document"), help="what to mark")
        p.add_argument("target_id", help="the person's ID or the document's number")
        p.add_argument("restriction", choices=rows.RESTRICTIONS, help="the restricted class")
        p.add_argument("--reason", required=True, help=REASON_HELP)
        p.set_defaults(func=func)
