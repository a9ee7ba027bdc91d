"""`escr service add|list|show|rotate|revoke-key|revoke|restore|scopes`: the case management
systems that call escr, their scopes and API keys (catalog/service_accounts.py,
docs/decisions/0037-cms-identity.md).

A key is printed once, when it is made (add, rotate): give it to the system then; escr keeps
only its hash. Each change is audited as the CLI's local administrator, `cli:<login>`.
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog import audit
from catalog import service_accounts as accounts
from catalog.db import unit_of_work
from catalog.models_service import ServiceAccount, ServiceKey
from cli.common import ready
from cli.parsing import command
from core.clock import utcnow


def _print(value: object) -> None:
    print(json.dumps(value, sort_keys=True))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _audit(session: Session, action: str, account: str, **detail: Any) -> None:
    audit.record(
        session,
        actor=_actor(),
        action=action,
        target_type="service_account",
        target_id=account,
        detail=detail,
    )


def _key_json(key: ServiceKey) -> dict[str, Any]:
    now = utcnow()
    return {
        "key_id": key.key_id,
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "live": key.revoked_at is None and (key.expires_at is None or key.expires_at > now),
    }


def _account_json(session: Session, account: ServiceAccount) -> dict[str, Any]:
    return {
        "name": account.name,
        "description": account.description,
        "scopes": list(account.scopes),
        "oidc_client_id": account.oidc_client_id,
        "active": account.active,
        "keys": [_key_json(k) for k in accounts.keys_of(session, account.name)],
    }


def add(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        account, issued = accounts.create_account(
            session,
            name=args.name,
            scopes=args.scope,
            description=args.description or "",
            oidc_client_id=args.client_id,
            actor=_actor(),
            now=utcnow(),
        )
        _audit(session, "service_account_created", account.name, scopes=list(account.scopes))
        out = _account_json(session, account)
        if issued is not None:
            out["api_key"] = issued.token  # shown once: escr keeps its hash only
        _print(out)
    return 0


def list_accounts(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        _print([_account_json(session, a) for a in accounts.list_accounts(session)])
    return 0


def show(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        _print(_account_json(session, accounts.get_account(session, args.name)))
    return 0


def rotate(args: argparse.Namespace) -> int:
    """A new key; the live ones keep working for the grace period, so the system swaps
    without downtime, then revoke-key (or their expiry) ends them."""
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        issued = accounts.rotate(
            session, args.name, now=utcnow(), grace=timedelta(hours=args.grace_hours)
        )
        _audit(session, "service_key_rotated", args.name, key_id=issued.key_id)
        out = _account_json(session, accounts.get_account(session, args.name))
        _print({**out, "api_key": issued.token})
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        key = accounts.revoke_key(session, args.key_id, now=utcnow())
        _audit(session, "service_key_revoked", key.account, key_id=key.key_id)
        _print(_key_json(key))
    return 0


def set_active(args: argparse.Namespace) -> int:
    settings = ready()
    active = args.service_command == "restore"
    with unit_of_work(settings.database_url) as session:
        account = accounts.set_active(session, args.name, active)
        _audit(session, "service_account_" + ("restored" if active else "revoked"), args.name)
        _print(_account_json(session, account))
    return 0


def scopes(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        account = accounts.set_scopes(session, args.name, args.scope)
        _audit(session, "service_account_scopes", args.name, scopes=list(account.scopes))
        _print(_account_json(session, account))
    return 0


def register(sub: Any) -> None:
    """Add `escr service` to the `escr` parser."""
    about = "service accounts: the case management systems that call the API, and their keys"
    group = sub.add_parser("service", help=about, description=about)
    actions = group.add_subparsers(dest="service_command", required=True)
    scope_help = f"a scope it may use (repeatable): {', '.join(accounts.SCOPES)}"
    name_help = "the account's name (e.g. mosaic)"
    p = command(
        actions,
        "add",
        "a new account and its first API key (printed once)",
        [
            "escr service add mosaic --scope documents:write --scope documents:read",
            "escr service add liquidlogic --scope documents:read --client-id 6f1c2d...",
        ],
    )
    p.add_argument("name", help="lower-case letters, digits and '-' (e.g. mosaic)")
    p.add_argument("--scope", action="append", required=True, help=scope_help)
    p.add_argument("--description", help="what the system is")
    p.add_argument(
        "--client-id",
        help="the IdP client ID whose client-credentials tokens act as this account (then no "
        "escr key is made)",
    )
    p.set_defaults(func=add)
    p = command(actions, "list", "every account with its scopes and keys", ["escr service list"])
    p.set_defaults(func=list_accounts)
    p = command(actions, "show", "one account", ["escr service show mosaic"])
    p.add_argument("name", help=name_help)
    p.set_defaults(func=show)
    p = command(
        actions,
        "rotate",
        "a new key (printed once); the old ones stay live for a grace period",
        ["escr service rotate mosaic", "escr service rotate mosaic --grace-hours 48"],
    )
    p.add_argument("name", help=name_help)
    p.add_argument(
        "--grace-hours", type=float, default=24.0, help="how long the old keys still work (24)"
    )
    p.set_defaults(func=rotate)
    p = command(actions, "revoke-key", "end one key now", ["escr service revoke-key 3fa85f64a1b2"])
    p.add_argument("key_id", help="the key's ID (escr_<key ID>_...; see list)")
    p.set_defaults(func=revoke_key)
    p = command(
        actions,
        "revoke",
        "switch an account off: its keys and tokens fail",
        ["escr service revoke mosaic"],
    )
    p.add_argument("name", help=name_help)
    p.set_defaults(func=set_active)
    p = command(
        actions, "restore", "switch a revoked account back on", ["escr service restore mosaic"]
    )
    p.add_argument("name", help=name_help)
    p.set_defaults(func=set_active)
    p = command(
        actions,
        "scopes",
        "set an account's exact scopes",
        ["escr service scopes mosaic --scope documents:read --scope people:events"],
    )
    p.add_argument("name", help=name_help)
    p.add_argument("--scope", action="append", required=True, help=scope_help)
    p.set_defaults(func=scopes)
