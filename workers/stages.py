"""The stage machine: which stage a document needs next, how the pages of a document read by
range come together, and how each stage's failure is recorded. Pure: no session, no backend.
Both runners (workers/local_runner.py, workers/tasks.py) act on what these return and differ
only in how they dispatch the work (sandbox futures in process, Celery tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from core.errors import TransientBackendError
from core.states import Reason, RowState
from workers.extract.base import ExtractionResult, Limits, PageText
from workers.extract.registry import failed_range, joined_pages


class Stage(Enum):
    """What a document needs next."""

    EXTRACT = "extract"  # its text, from a parser (or OCR)
    CLASSIFY = "classify"  # type, date and people; it then waits for the index
    INDEX = "index"
    SETTLED = "settled"  # nothing: the ledger takes its state


def next_stage(
    state: RowState, *, has_twin: Callable[[], bool], needs_relink: Callable[[], bool]
) -> Stage:
    """The stage a document in `state` needs next: stored -> extract (or the text of a twin
    with the same content, then classify) -> classify and link -> index; an indexed document
    whose people a later round may now find is classified and linked again.

    The facts cost a query each, so each is asked only in the state that needs it."""
    if state == RowState.STORED:
        return Stage.CLASSIFY if has_twin() else Stage.EXTRACT
    if state == RowState.EXTRACTED:
        return Stage.CLASSIFY
    if state == RowState.PENDING_INDEX:
        return Stage.INDEX
    if state == RowState.INDEXED and needs_relink():
        return Stage.CLASSIFY
    return Stage.SETTLED


# -- pages read by range ----------------------------------------------------------------


@dataclass
class PageRanges:
    """The pages of one document read in ranges (text layers, then OCR by range: decision
    0014), in whatever order the ranges come back, a range perhaps twice (a retried task). The
    first range that fails fails the document: the other ranges' texts are then of no use."""

    mime: str
    pages: int
    texts: dict[int, PageText] = field(default_factory=dict)
    failed: ExtractionResult | None = None

    def add(self, texts: Iterable[PageText]) -> None:
        """Pages that have text (a page whose text is None still waits)."""
        if self.failed is None:
            self.texts.update((p.page_no, p) for p in texts if p.text is not None)

    def took(self, first: int, last: int | None, result: ExtractionResult) -> None:
        """The result of reading pages first..last (None: to the end)."""
        if result.ok:
            self.add(result.page_texts)
        elif self.failed is None:
            self.failed = failed_range(result, first, last or self.pages, self.pages)

    @property
    def waiting(self) -> int:
        """Pages without text yet."""
        return sum(1 for number in range(1, self.pages + 1) if number not in self.texts)

    def result(self, limits: Limits, *, all_back: bool = False) -> ExtractionResult | None:
        """The document's extraction: the failure, or the pages joined in order once every
        page has its text; None while pages still wait. `all_back`: no range is still out, so
        a page still without text never will have one, and fails the document."""
        if self.failed is not None:
            return self.failed
        if self.waiting:
            if not all_back:
                return None
            missing = [n for n in range(1, self.pages + 1) if n not in self.texts]
            detail = f"no text came back for pages {missing[:10]}"[:500]
            return ExtractionResult(
                ok=False, reason=Reason.CORRUPT, detail=detail, pages=self.pages
            )
        texts = [self.texts[number] for number in range(1, self.pages + 1)]
        return joined_pages(self.mime, self.pages, texts, limits)


# -- failures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """How a stage's permanent failure (our bug or a backend, never the file's) is recorded:
    on the manifest row (before there is a document) or on the document, with its reason.
    `spared`: errors after which the target keeps its state for a later run instead."""

    on_row: bool
    reason: Reason = Reason.INTERNAL_ERROR
    spared: tuple[type[BaseException], ...] = ()

    def records(self, exc: BaseException) -> bool:
        return not isinstance(exc, self.spared)


INGEST_FAILURE = Failure(on_row=True)
DOCUMENT_FAILURE = Failure(on_row=False)  # extraction, classification, linking
# The index is down: documents stay `pending_index` for `escr reindex --pending` (or the next
# index task) rather than being called failed.
INDEX_FAILURE = Failure(on_row=False, spared=(TransientBackendError,))
# A rendition's failure never changes its document (docs/decisions/0027): a file's failure is
# kept on the rendition row by the render stage, and a task that fails otherwise leaves the
# document waiting for the next `escr render`.
RENDER_FAILURE = Failure(on_row=False, spared=(BaseException,))


def failure_detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
