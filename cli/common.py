"""What more than one command needs: the migrated catalog's settings, the reconciliation
printout and the web server. cli.commands and cli.demo both import this; neither imports the
other back (the cycle issue 12 §5 named)."""

from __future__ import annotations

from catalog.schema import migrate
from core.settings import Settings, get_settings


def ready() -> Settings:
    """The settings, with the catalog migrated to the current schema."""
    settings = get_settings()
    migrate(settings.database_url)
    return settings


def print_reconciliation(summary: dict[str, object]) -> None:
    """A load's summary, one count a line, quarantines by reason."""
    print(f"batch {summary['batch']} ({summary['status']})")
    for key in ("rows", "indexed", "linked", "unlinked", "duplicates", "duplicate_rows", "failed"):
        print(f"  {key:<15} {summary[key]}")
    quarantined = summary["quarantined"]
    assert isinstance(quarantined, dict)
    print(f"  {'quarantined':<15} {sum(quarantined.values())}")
    for reason, count in sorted(quarantined.items()):
        print(f"    {reason:<13} {count}")
    print(f"  {'attachments':<15} {summary['attachments']}")
    print(f"  {'unaccounted':<15} {summary['unaccounted']}")


def serve_web(host: str, port: int) -> int:
    """Run the API and the web pages until interrupted."""
    from api.app import create_app
    from api.server import serve as run_server

    ready()
    run_server(create_app(), host=host, port=port)
    return 0
