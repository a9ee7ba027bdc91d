"""load_facts reads people in IN lists no longer than the catalog's one bound (catalog.db)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog.db import IN_LIST_MAX
from retention.facts import load_facts


def test_facts_of_many_people_stay_under_the_in_list_bound(session: Session) -> None:
    sizes: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM people" in statement:
            sizes.append(len(params))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert load_facts(session, [f"P{n}" for n in range(2 * IN_LIST_MAX + 5)]) == {}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(sizes) == 3 and max(sizes) <= IN_LIST_MAX
