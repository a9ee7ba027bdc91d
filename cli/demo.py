"""`escr demo` (what `make demo` runs): the whole job on a synthetic archive, then the server."""

from __future__ import annotations

import argparse
import csv
import secrets
import sys
from pathlib import Path

from catalog import access as rows
from catalog import audit
from catalog.db import unit_of_work
from cli.access import _allocate_one
from cli.terminal import plural
from core.clock import utcnow
from core.settings import Settings, get_settings
from indexer.base import SearchQuery
from indexer.factory import make_index


def run(args: argparse.Namespace) -> int:
    """Synthesise, load, reconcile, show a search and the exception queue, then serve."""
    from cli.common import print_reconciliation, serve_web
    from workers.load import load_archive
    from workers.synth.archive import make_archive

    settings = get_settings()
    out = settings.home / "demo-archive"
    _say(f"1/4 writing a synthetic archive of {args.docs} documents to {out}")
    archive = make_archive(out, seed=7, people=args.people, docs=args.docs)
    _say("2/4 loading it, learning document types from its labelled documents, then its")
    _say("    renditions for the viewer (progress below; the same command again reports every")
    _say("    row unchanged)")
    summary = load_archive(
        settings,
        manifest=archive.manifest_path,
        people=archive.people_path,
        render=True,
        learn_types=True,
    )
    _say("3/4 reconciliation")
    print_reconciliation(summary)
    _say("4/4 a search, as a practitioner's search box would run it")
    _show_search(settings)
    users = _demo_users(settings, archive.people_path)
    # The users come before the choice to serve: `--no-serve` then `escr serve` needs a login too.
    if args.no_serve:
        _say(f"\nto serve: escr serve --port {args.port}, then http://127.0.0.1:{args.port}/login")
    else:
        _say(
            f"\nweb app: http://127.0.0.1:{args.port}/login  API: http://127.0.0.1:{args.port}/docs"
        )
    for username, (role, password) in users.items():
        _say(f"  log in as {username} / {password} ({role})")
    _say(f"  API bearer token: {settings.api.token}")
    if args.no_serve:
        return 0 if summary["unaccounted"] == 0 else 1
    _say("  Ctrl-C stops")
    return serve_web("127.0.0.1", args.port)


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _show_search(settings: Settings) -> None:
    results = make_index(settings).search(SearchQuery(text="school", limit=3, facets=True))
    found = plural(results.total, "document")
    print(f'  "school": {found}; by type {results.facets.get("doc_type", {})}')
    for hit in results.hits:
        people = ",".join(hit.person_ids) or "(exception queue)"
        print(f"    {hit.document_id:>5}  {hit.doc_type:<14} {people:<22} {hit.title[:50]}")


def _demo_users(settings: Settings, people_csv: Path) -> dict[str, tuple[str, str]]:
    """An administrator and a practitioner on one team, with fresh passwords (this demo's
    server listens on 127.0.0.1 only); people are allocated to teams from people.csv."""
    with people_csv.open(encoding="utf-8", newline="") as handle:
        allocations = [(r["person_id"], r.get("team", "")) for r in csv.DictReader(handle)]
    team = next((t for _, t in allocations if t), "Demo team")
    now = utcnow()
    users = {
        "demo-admin": (
            "administrator",
            secrets.token_urlsafe(9),
            ["administrator", "migration_officer", "ig_officer"],
            [],
        ),
        "demo-sw": ("practitioner on " + team, secrets.token_urlsafe(9), ["practitioner"], [team]),
    }
    with unit_of_work(settings.database_url) as session:
        for person_id, person_team in allocations:
            if person_team:
                _allocate_one(session, person_id, person_team, "demo")
        for username, (_label, password, roles, teams) in users.items():
            rows.upsert_user(
                session, username=username, roles=roles, teams=teams, password=password, now=now
            )
            audit.record(
                session,
                actor="cli:demo",
                action="user_change",
                target_type="user",
                target_id=username,
                detail={"roles": roles, "teams": teams, "password_set": True},
            )
    return {name: (label, password) for name, (label, password, _r, _t) in users.items()}
