"""The navigation each role sees: one table, each entry with the roles its page lets in (the
same sets the pages' own checks use), so no one is offered a page that answers 403."""

from __future__ import annotations

from dataclasses import dataclass

from records.access import QUEUE_ROLES, Caller
from records.consoles import AUDIT_ROLES


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    roles: frozenset[str] | None  # None: everyone signed in

    def current(self, path: str) -> bool:
        return path == self.href or path.startswith(self.href + "/")


MAIN = (
    Link("Search", "/search", None),
    Link("Find a person", "/people", None),
    Link("Migration", "/migration", QUEUE_ROLES),
    Link("Governance", "/ig", AUDIT_ROLES),
)
# The governance pages' own menu (IG officers and administrators only, as MAIN's entry).
GOVERNANCE = (
    Link("Overview", "/ig", AUDIT_ROLES),
    Link("Retention", "/ig/retention", AUDIT_ROLES),
    Link("Holds", "/ig/holds", AUDIT_ROLES),
    Link("Subject access", "/ig/sar", AUDIT_ROLES),
    Link("Audit log", "/ig/audit", AUDIT_ROLES),
    Link("Break-glass alerts", "/ig/alerts", AUDIT_ROLES),
)


def links_for(caller: Caller | None, links: tuple[Link, ...] = MAIN) -> list[Link]:
    """The entries this caller's roles open."""
    if caller is None:
        return []
    return [link for link in links if link.roles is None or caller.roles & link.roles]
