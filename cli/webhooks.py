"""`escr webhooks subscribe|list|unsubscribe|redeliver|deliver`: the URLs a service account is
told of document events at, deliveries given up sent again, and a one-off send of what is due
(records/webhook_subscriptions.py, workers/webhooks.py, docs/decisions/0038).

Each change is audited as the CLI's local administrator, `cli:<login>`. The secret is printed
once, by `subscribe`; give it to the receiving system then.
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from catalog.db import session_factory, unit_of_work
from catalog.outbox import EVENT_TYPES
from cli.common import ready
from cli.parsing import command
from records import webhook_subscriptions as subs
from records.access import service_caller
from workers.webhooks import deliver_due


def _print(value: object) -> None:
    print(json.dumps(value, sort_keys=True))


def _caller() -> Any:
    return service_caller(f"cli:{getpass.getuser()}")


def subscribe(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        row, secret = subs.subscribe(
            session,
            caller=_caller(),
            account=args.account,
            url=args.url,
            events=args.event or (),
            secret=args.secret or "",
            https_only=settings.api.environment == "production",
        )
        _print({**subs.subscription_json(row), "secret": secret})
    return 0


def list_subscriptions(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        _print([subs.subscription_json(r) for r in subs.subscriptions(session, args.account)])
    return 0


def unsubscribe(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        row = subs.unsubscribe(
            session, caller=_caller(), subscription_id=args.subscription_id, account=None
        )
        _print(subs.subscription_json(row))
    return 0


def redeliver(args: argparse.Namespace) -> int:
    settings = ready()
    with unit_of_work(settings.database_url) as session:
        count = subs.redeliver(
            session, caller=_caller(), subscription_id=args.subscription_id, account=None
        )
        _print({"subscription_id": args.subscription_id, "redelivering": count})
    return 0


def deliver(args: argparse.Namespace) -> int:
    """Send what is due now, once (the server's thread or the Celery task does it otherwise)."""
    settings = ready()
    done = deliver_due(session_factory(settings.database_url), settings)
    _print(
        {
            "delivered": done.delivered,
            "failed_attempts": done.failed,
            "next_due": done.next_due.isoformat() if done.next_due else None,
        }
    )
    return 0


def register(sub: Any) -> None:
    """Add `escr webhooks` to the `escr` parser."""
    about = "signed webhooks: who is told of documents indexed, re-linked or disposed of"
    group = sub.add_parser(
        "webhooks",
        help=about,
        description=about,
        epilog="examples:\n"
        "  escr webhooks subscribe mosaic https://mosaic.council.example/escr-events\n"
        "  escr webhooks subscribe mosaic https://... --event document.indexed\n"
        "  escr webhooks list --account mosaic\n"
        "  escr webhooks unsubscribe 3\n"
        "  escr webhooks redeliver 3\n"
        "  escr webhooks deliver",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = group.add_subparsers(dest="webhooks_command", required=True)
    p = command(
        actions,
        "subscribe",
        "register a URL (prints the secret, once)",
        [
            "escr webhooks subscribe mosaic https://mosaic.council.example/escr-events",
            "escr webhooks subscribe mosaic https://... --event document.indexed --secret S",
        ],
    )
    p.add_argument("account", help="the service account the events are for (e.g. mosaic)")
    p.add_argument("url", help="where the events are POSTed (https in production)")
    p.add_argument(
        "--event", action="append", choices=EVENT_TYPES, help="only this type (repeatable)"
    )
    p.add_argument("--secret", help="the HMAC key (24+ characters); default: escr makes one")
    p.set_defaults(func=subscribe)
    p = command(
        actions,
        "list",
        "the subscriptions, newest first",
        ["escr webhooks list", "escr webhooks list --account mosaic"],
    )
    p.add_argument("--account", help="only this account's")
    p.set_defaults(func=list_subscriptions)
    p = command(
        actions, "unsubscribe", "switch a subscription off", ["escr webhooks unsubscribe 3"]
    )
    p.add_argument("subscription_id", type=int, help="the subscription's ID (escr webhooks list)")
    p.set_defaults(func=unsubscribe)
    p = command(
        actions, "redeliver", "send the deliveries given up again", ["escr webhooks redeliver 3"]
    )
    p.add_argument("subscription_id", type=int, help="the subscription's ID (escr webhooks list)")
    p.set_defaults(func=redeliver)
    p = command(actions, "deliver", "send the deliveries due now, once", ["escr webhooks deliver"])
    p.set_defaults(func=deliver)
