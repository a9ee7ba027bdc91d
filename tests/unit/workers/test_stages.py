"""The stage machine alone (workers/stages.py): the next stage for each state, the pages of a
document read by range, and the failure each stage records. No catalog, no backends."""

from __future__ import annotations

import pytest

from core.errors import TransientBackendError
from core.states import Reason, RowState
from workers.extract.base import ExtractionResult, Limits, PageText
from workers.stages import (
    DOCUMENT_FAILURE,
    INDEX_FAILURE,
    INGEST_FAILURE,
    PageRanges,
    Stage,
    next_stage,
)

LIMITS = Limits()
PDF = "application/pdf"


def _never() -> bool:
    raise AssertionError("a fact asked in a state that does not need it (a query wasted)")


def _yes() -> bool:
    return True


def _no() -> bool:
    return False


@pytest.mark.parametrize(
    ("state", "has_twin", "needs_relink", "stage"),
    [
        (RowState.STORED, _no, _never, Stage.EXTRACT),
        (RowState.STORED, _yes, _never, Stage.CLASSIFY),  # a twin's text: no parser
        (RowState.EXTRACTED, _never, _never, Stage.CLASSIFY),
        (RowState.PENDING_INDEX, _never, _never, Stage.INDEX),
        (RowState.INDEXED, _never, _no, Stage.SETTLED),
        (RowState.INDEXED, _never, _yes, Stage.CLASSIFY),  # a later round's people.csv
        (RowState.QUARANTINED, _never, _never, Stage.SETTLED),
        (RowState.FAILED, _never, _never, Stage.SETTLED),
        (RowState.DUPLICATE, _never, _never, Stage.SETTLED),
    ],
)
def test_next_stage(state: RowState, has_twin: object, needs_relink: object, stage: Stage) -> None:
    assert next_stage(state, has_twin=has_twin, needs_relink=needs_relink) == stage  # type: ignore[arg-type]


def test_every_unfinished_state_moves_on_and_every_ended_one_settles_unless_relinked() -> None:
    for state in RowState:
        if state == RowState.PENDING:
            continue  # a row without a document: ingest's, not a document's stage
        stage = next_stage(state, has_twin=_no, needs_relink=_no)
        assert (stage == Stage.SETTLED) == state.terminal, state


def _page(number: int, text: str | None, ocr: bool = True) -> PageText:
    return PageText(number, text, ocr)


def _read(first: int, last: int) -> ExtractionResult:
    pages = [_page(n, f"ocr {n}") for n in range(first, last + 1)]
    return ExtractionResult(ok=True, pages=6, page_texts=pages)


def test_pages_come_together_in_page_order_whatever_order_the_ranges_come_back() -> None:
    ranges = PageRanges(PDF, 6)
    ranges.add(
        [_page(1, "layer 1", False), _page(2, None), _page(3, None), _page(4, "layer 4", False)]
    )
    assert ranges.waiting == 4 and ranges.result(LIMITS) is None
    ranges.took(5, 6, _read(5, 6))
    assert ranges.waiting == 2 and ranges.result(LIMITS) is None
    ranges.took(2, 3, _read(2, 3))
    result = ranges.result(LIMITS)
    assert result is not None and result.ok
    assert result.text.split("\f") == ["layer 1", "ocr 2", "ocr 3", "layer 4", "ocr 5", "ocr 6"]
    assert result.pages == 6 and result.ocr_pages == 4


def test_a_range_read_twice_after_a_retry_counts_its_pages_once() -> None:
    ranges = PageRanges(PDF, 3)
    ranges.took(1, 2, _read(1, 2))
    ranges.took(1, 2, _read(1, 2))
    assert ranges.waiting == 1
    ranges.took(3, None, _read(3, 3))  # None: to the end
    result = ranges.result(LIMITS)
    assert result is not None and result.text.split("\f") == ["ocr 1", "ocr 2", "ocr 3"]


def test_the_first_failed_range_fails_the_document_with_its_reason_and_pages() -> None:
    ranges = PageRanges(PDF, 6)
    ranges.took(1, 2, _read(1, 2))
    ranges.took(3, 4, ExtractionResult(ok=False, reason=Reason.TIMEOUT, detail="killed"))
    ranges.took(5, None, ExtractionResult(ok=False, reason=Reason.CORRUPT, detail="bad"))
    ranges.took(5, 6, _read(5, 6))  # a retry's success comes too late: the document failed
    result = ranges.result(LIMITS)
    assert result is not None and not result.ok
    assert result.reason == Reason.TIMEOUT and result.detail == "pages 3-4: killed"
    assert result.pages == 6


def test_pages_that_never_came_back_fail_the_document_once_every_range_is_back() -> None:
    ranges = PageRanges(PDF, 3)
    ranges.took(1, 3, ExtractionResult(ok=True, pages=3, page_texts=[_page(1, "a")]))
    assert ranges.result(LIMITS) is None  # the pages may still come (another task's rows)
    result = ranges.result(LIMITS, all_back=True)
    assert result is not None and not result.ok and result.reason == Reason.CORRUPT
    assert "[2, 3]" in result.detail


def test_each_stage_names_where_its_failure_goes() -> None:
    assert INGEST_FAILURE.on_row and not DOCUMENT_FAILURE.on_row and not INDEX_FAILURE.on_row
    for failure in (INGEST_FAILURE, DOCUMENT_FAILURE, INDEX_FAILURE):
        assert failure.reason == Reason.INTERNAL_ERROR and failure.records(ValueError("bug"))
    # The index down: the documents keep pending_index for a later run.
    assert not INDEX_FAILURE.records(TransientBackendError("index down"))
    assert DOCUMENT_FAILURE.records(TransientBackendError("store down after its retries"))
