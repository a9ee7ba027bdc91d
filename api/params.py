"""The bounds every route's parameters share, as types: one definition, used by the API and
the web pages alike, so a bad parameter is a 422 that says why, never a 500 or a crash.

No `from __future__ import annotations` here: `paging` builds its dependency's signature from
its own arguments, and FastAPI could not resolve those names from strings.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field, StringConstraints

from catalog.db import MAX_ID
from core.errors import InvalidInput
from indexer.base import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_RESULT_WINDOW,
    check_date,
    check_window,
)

__all__ = [
    "BREAK_GLASS_REASON_MAX",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_ID",
    "MAX_QUERY_STRING",
    "MAX_RESULT_WINDOW",
    "BoundedDate",
    "BreakGlassReason",
    "Id",
    "IdPath",
    "Page",
    "paging",
    "parse_date",
]

# A search's words and filters fit in far less; a longer query string is a mistake or an attack
# (answered 414 by api/web/render.py; api/server.py answers still longer request lines).
MAX_QUERY_STRING = 8 * 1024


def _bounded(value: date) -> date:
    try:
        return check_date(value)
    except InvalidInput as exc:  # pydantic turns a ValueError into a 422 naming the field
        raise ValueError(str(exc)) from exc


# A date in a query or a body: `date_from: BoundedDate | None = None`.
BoundedDate = Annotated[date, AfterValidator(_bounded)]
# A catalog ID in a body (e.g. `items: list[Id]`).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A catalog ID in a path: `/documents/{document_id}` with `document_id: IdPath`.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a catalog ID (a positive integer)")]


# A break-glass reason is read by an IG officer, stored in the audit log and alerted on: a
# paragraph, not a document (records/access.py sets the least it must say).
BREAK_GLASS_REASON_MAX = 1_000
BreakGlassReason = Annotated[str, StringConstraints(max_length=BREAK_GLASS_REASON_MAX)]


def parse_date(value: str, name: str) -> date | None:
    """A form field's date ("" for none), bounded like BoundedDate; InvalidInput if not."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2021-06-30") from exc
    return check_date(parsed, name)


@dataclass(frozen=True)
class Page:
    """One page of a list: at most MAX_RESULT_WINDOW deep (offset + limit)."""

    limit: int
    offset: int

    def __post_init__(self) -> None:
        check_window(self.limit, self.offset)


def paging(default: int, most: int) -> Callable[..., Page]:
    """A dependency giving a route `limit` (1..most, `default` if absent) and `offset` query
    parameters as a Page: `page: Annotated[Page, Depends(paging(20, 200))]`."""

    def dependency(
        limit: Annotated[
            int, Query(ge=1, le=most, description=f"results per page, at most {most}")
        ] = default,
        offset: Annotated[
            int,
            Query(
                ge=0,
                le=MAX_RESULT_WINDOW,
                description=f"results to skip; offset + limit at most {MAX_RESULT_WINDOW}",
            ),
        ] = 0,
    ) -> Page:
        return Page(limit=limit, offset=offset)

    return dependency
