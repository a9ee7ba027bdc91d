"""Filter values a caller picks from a fixed list: one check for the CLI, the API and the pages.

A value outside the list is a typo, not a question with an empty answer: it is refused with the
valid values (an InvalidInput, so a 422 from the API and exit 2 from the CLI). Person IDs and
source systems are data, not vocabulary: an unknown one is a true "no documents".
"""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import InvalidInput
from domain.vocabulary import DOC_TYPES, EXCEPTION_KINDS


def exception_kinds() -> tuple[str, ...]:
    """The kinds of exception the pipeline opens."""
    return EXCEPTION_KINDS


def check_choices(what: str, values: Iterable[str], valid: Iterable[str]) -> tuple[str, ...]:
    """The values, unchanged, if each is one of `valid`; else InvalidInput naming them all."""
    wanted = tuple(values)
    allowed = tuple(valid)
    unknown = [v for v in wanted if v not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown {what} {', '.join(repr(v) for v in unknown)}; valid: {', '.join(allowed)}"
        )
    return wanted


def doc_types(values: Iterable[str]) -> tuple[str, ...]:
    """Document-type filter values (the taxonomy's codes)."""
    return check_choices("document type", values, DOC_TYPES)


def doc_type(value: str | None) -> str | None:
    """One document-type filter value (None or empty: every type)."""
    if value:
        doc_types((value,))
    return value or None


def exception_kind(value: str | None) -> str | None:
    """An exception-queue kind filter (None or empty: every kind)."""
    if value:
        check_choices("exception kind", (value,), exception_kinds())
    return value or None
