"""The render stage: make the rendition of each document that waits for one, in the sandbox,
store it as a content-addressed blob and record it against the document's version.

Its own stage (docs/decisions/0027): it takes only documents whose loading has finished, its
jobs queue behind every load job in a shared sandbox pool, and a rendition that fails is
recorded with its reason on the rendition row, never on the document (which stays indexed and
searchable). Made once: a version with a rendition row is not taken again, and twins (the same
content) share one PDF. Used by `escr render`, after `escr load`, and by the Celery task.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from catalog import renditions
from catalog.models import Document
from catalog.renditions import Made
from core.clock import utcnow
from core.errors import NotFound
from core.logging import get_logger
from core.states import Reason
from storage.base import BlobStore, content_key
from workers.render.base import RenderRequest, RenderResult
from workers.render.registry import CONTAINER_MIME_TYPES
from workers.sandbox import SandboxPool

log = get_logger(__name__)
PAGE = 100  # documents taken on at once: their jobs keep every child busy
# Seconds a page of a scan may take to OCR, on top of the pool's limit for the whole job: a
# rendition is one job per document, not split by page range as extraction is.
SECONDS_A_SCAN_PAGE = 20.0
_SCANS = ("image/",)


@dataclass
class RenderCounts:
    """What a run of the stage did."""

    made: int = 0  # PDFs rendered and stored
    original: int = 0  # PDFs that are their own rendition
    shared: int = 0  # twins given another document's rendition
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, made: Made, *, twin: bool = False) -> None:
        if made.sha256 is None:
            self.failed += 1
            key = made.reason or "unknown"
            self.reasons[key] = self.reasons.get(key, 0) + 1
        elif twin:
            self.shared += 1
        elif made.method == "original":
            self.original += 1
        else:
            self.made += 1

    def as_json(self) -> dict[str, object]:
        return {
            "made": self.made,
            "original": self.original,
            "shared": self.shared,
            "failed": self.failed,
            "reasons": dict(sorted(self.reasons.items())),
        }


def render_waiting(
    session: Session,
    store: BlobStore,
    pool: SandboxPool,
    *,
    batch: str | None = None,
    progress: bool = False,
) -> RenderCounts:
    """Render every document waiting for a rendition (of `batch`, or all), committing a page
    at a time: a run that is stopped resumes where it was."""
    counts = RenderCounts()
    total = renditions.count_waiting(session, batch=batch)
    with tqdm(total=total, disable=not progress, desc="render", unit="doc", file=sys.stderr) as bar:
        after = 0
        while documents := renditions.waiting(session, batch=batch, after_id=after, limit=PAGE):
            after = documents[-1].id
            done = render_documents(session, store, pool, documents, counts)
            session.commit()
            session.expunge_all()
            bar.update(done)
    log.info("render.done", batch=batch, **counts.as_json())
    return counts


def render_documents(
    session: Session,
    store: BlobStore,
    pool: SandboxPool,
    documents: Sequence[Document],
    counts: RenderCounts,
) -> int:
    """Render the documents (none committed); returns how many were recorded."""
    now = utcnow()
    twins = renditions.twins_made(session, {d.sha256 for d in documents if d.sha256})
    by_content: dict[str, list[Document]] = {}
    for document in documents:
        assert document.sha256 is not None
        twin = twins.get(document.sha256)
        if twin is not None:
            made = renditions.shared_from(twin)
            renditions.record(session, document, made, now)
            counts.add(made, twin=True)
        else:
            by_content.setdefault(document.sha256, []).append(document)
    pool.tmp_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        out_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=pool.tmp_dir)))
        jobs: list[tuple[list[Document], Future[RenderResult], Path, Made | None]] = []
        for sha256, same in by_content.items():
            out = out_dir / f"{sha256}.pdf"
            try:
                source = stack.enter_context(_source(store, sha256))
            except NotFound as exc:  # fixity's to report; the rendition says why it is not
                missing = Made(sha256=None, reason=Reason.MISSING_FILE.value, detail=str(exc))
                jobs.append((same, _resolved(RenderResult(ok=False)), out, missing))
                continue
            future = pool.render(_request(session, same[0], source, out))
            jobs.append((same, future, out, None))
        for same, future, out, known in jobs:
            made = known or _stored(store, future.result(), same[0], out)
            for index, document in enumerate(same):
                renditions.record(session, document, made, now)
                counts.add(made, twin=index > 0)
    return len(documents)


def _resolved(result: RenderResult) -> Future[RenderResult]:
    future: Future[RenderResult] = Future()
    future.set_result(result)
    return future


@contextmanager
def _source(store: BlobStore, sha256: str) -> Iterator[Path]:
    with store.local_copy(content_key(sha256)) as path:
        yield path


def _request(session: Session, document: Document, source: Path, out: Path) -> RenderRequest:
    children: tuple[str, ...] = ()
    if document.mime in CONTAINER_MIME_TYPES:
        names = session.scalars(
            select(Document.original_name)
            .where(Document.parent_id == document.id)
            .order_by(Document.id)
        )
        children = tuple(name or "(unnamed)" for name in names)
    scan = document.mime.startswith(_SCANS)
    return RenderRequest(
        path=str(source),
        mime=document.mime,
        out_path=str(out),
        title=document.title or document.original_name,
        children=children,
        timeout_s=None if not scan else pool_seconds(document.pages),
    )


def pool_seconds(pages: int) -> float:
    """A scan's job time: a page's OCR for each of its pages, at the least one page's."""
    return SECONDS_A_SCAN_PAGE * max(1, pages)


def _stored(store: BlobStore, result: RenderResult, document: Document, out: Path) -> Made:
    """What to record of a result: the original as its own rendition, a new PDF stored under
    its SHA-256, or the failure."""
    if not result.ok:
        detail = "; ".join([result.detail, *result.notes]).strip("; ")
        return Made(
            sha256=None,
            method=result.method,
            reason=result.reason,
            detail=detail,
            seconds=result.seconds,
        )
    if result.original:
        return Made(
            sha256=document.sha256,
            pages=result.pages,
            method="original",
            seconds=result.seconds,
        )
    sha256 = _sha256_of(out)
    key = content_key(sha256)
    info = store.put_file(key, out)
    return Made(
        sha256=sha256,
        pages=result.pages,
        method=result.method,
        detail="; ".join(result.notes),
        seconds=result.seconds,
        size=info.size,
        key=key,
    )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def render_unrecorded(
    session: Session, store: BlobStore, pool: SandboxPool, document: Document, tmp_dir: Path
) -> Made:
    """One document's rendition made and stored but not recorded: the caller records it
    (renditions.record) in a short transaction of its own. For a caller beside live requests
    on SQLite (a SAR bundle built from the web), which must not hold a transaction open while
    the sandbox works: `session` is read before the render and its transaction ended."""
    assert document.sha256 is not None
    out = tmp_dir / f"{document.sha256}.pdf"
    try:
        with _source(store, document.sha256) as source:
            request = _request(session, document, source, out)
            session.rollback()  # nothing is held while the child renders
            return _stored(store, pool.render(request).result(), document, out)
    except NotFound as exc:  # fixity's to report; the rendition says why it is not
        return Made(sha256=None, reason=Reason.MISSING_FILE.value, detail=str(exc))
