"""`escr user`, `escr allocate`, `escr grant` and `escr restrict`: who may see what.

Each change is audited as the CLI's local administrator, `cli:<login>`.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog import access as rows
from catalog import audit
from catalog.db import unit_of_work
from catalog.schema import migrate
from core.errors import InvalidInput
from core.settings import get_settings

MIN_PASSWORD = 12


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
    password = _password(args)
    with unit_of_work(_url()) as session:
        user = rows.upsert_user(
            session,
            username=args.username,
            roles=args.role,
            teams=args.team,
            password=password,
            now=_now(),
        )
        audit.record(
            session,
            actor=_actor(),
            action="user_change",
            target_type="user",
            target_id=args.username,
            detail={"roles": list(user.roles), "teams": args.team, "password_set": bool(password)},
        )
        _print({"username": user.username, "roles": user.roles, "teams": args.team})
    return 0


def _allocate_one(session: Session, person_id: str, team: str, source: str) -> bool:
    added = rows.allocate(
        session, person_id=person_id, team=team, source=source, actor=_actor(), now=_now()
    )
    if added:
        audit.record(
            session,
            actor=_actor(),
            action="allocation_change",
            target_type="person",
            target_id=person_id,
            person_ids=[person_id],
            detail={"team": team, "source": source},
        )
    return added


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
        else:
            added = int(_allocate_one(session, args.person_id, args.team, "cli"))
            _print({"person_id": args.person_id, "team": args.team, "added": added})
    return 0


def grant(args: argparse.Namespace) -> int:
    with unit_of_work(_url()) as session:
        rows.add_grant(
            session,
            username=args.username,
            restriction=args.restriction,
            reason=args.reason,
            actor=_actor(),
            now=_now(),
        )
        audit.record(
            session,
            actor=_actor(),
            action="grant_change",
            target_type="user",
            target_id=args.username,
            why=args.reason,
            detail={"restriction": args.restriction},
        )
        _print({"username": args.username, "restriction": args.restriction})
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


def register(sub: Any) -> None:
    """Add the access commands to the `escr` parser."""
    p = sub.add_parser("user", help="local users")
    users = p.add_subparsers(dest="user_command", required=True)
    q = users.add_parser("add", help="add or update a local user")
    q.add_argument("username")
    q.add_argument("--role", action="append", required=True, choices=rows.ROLES)
    q.add_argument("--team", action="append", default=[])
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    q.set_defaults(func=user_add)

    p = sub.add_parser("allocate", help="allocate a person to a team (or --file a CSV of them)")
    p.add_argument("person_id", nargs="?")
    p.add_argument("team", nargs="?")
    p.add_argument("--file", type=Path, help="CSV with person_id and team columns")
    p.set_defaults(func=allocate)

    p = sub.add_parser("grant", help="grant a user a restricted class")
    p.add_argument("username")
    p.add_argument("restriction", choices=rows.RESTRICTIONS)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=grant)

    p = sub.add_parser("restrict", help="mark a person or document as a restricted class")
    p.add_argument("target_type", choices=("person", "document"))
    p.add_argument("target_id")
    p.add_argument("restriction", choices=rows.RESTRICTIONS)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=restrict)
