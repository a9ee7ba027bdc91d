"""The pipeline's stages, each a function of a session and IDs, shared by every runner.

A stage reads its inputs from the catalog and the blob store, writes its result with a state,
and never commits: the runner (local loop or Celery task) owns the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog import ledger, outbox
from catalog.db import IN_LIST_MAX
from catalog.models import Document, LedgerRow
from catalog.session_state import FRESH_DOCUMENTS
from core.clock import utcnow
from core.states import Reason, RowState
from domain.vocabulary import LINK_EXCEPTION_KINDS
from indexer.base import SearchDocument, SearchIndex
from indexer.documents import search_documents, with_indexed_family
from storage.base import BlobStore
from workers.classify import classify
from workers.dating import date_from_text
from workers.extract.base import ExtractionResult
from workers.ingest import (
    Quarantine,
    Quarantined,
    Spooled,
    StoredFile,
    resolve_path,
    spool_result,
    store_spooled,
)
from workers.intake import given_links
from workers.learn_types import record_type
from workers.link import LinkDecision, decide_links, prefetch_people
from workers.matching.settle import (
    match_unlinked,
    needs_matching,
    record_candidates,
    record_training_pairs,
    training_pair,
)
from workers.ocr_review import copy_confidence, record_confidence
from workers.sources.mapping import Mapping
from workers.stages import Failure, Stage, next_stage
from workers.type_model import TypeModel
from workers.unreadable import judged, queue_unreadable, twin_reason

EXTRACTED_STATES = frozenset({RowState.EXTRACTED, RowState.PENDING_INDEX, RowState.INDEXED})


@dataclass
class Context:
    """What every stage needs: the backends and the load's mapping."""

    store: BlobStore
    index: SearchIndex
    mapping: Mapping
    tmp_dir: Path
    now: Callable[[], datetime] = utcnow
    # The learned document-type model (decision 0032); None: the keyword rules classify.
    type_model: TypeModel | None = None
    # Documents the crosswalk could not link, waiting to be matched together (a list the
    # runner gives and empties with match_deferred); None: matched with their group.
    deferred: list[tuple[int, LinkDecision]] | None = None


def _date_or_none(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


Spool = Callable[[list[Path]], list[Spooled | Quarantined]]


def _spool_here(paths: list[Path], tmp_dir: Path) -> list[Spooled | Quarantined]:
    return [spool_result(path, tmp_dir).spooled() for path in paths]


def read_files(
    ctx: Context, file_paths: Sequence[str], archive_root: Path, spool: Spool | None = None
) -> list[StoredFile | Quarantined]:
    """The file work of ingest, without the catalog: find each manifest file, read it once
    (with `spool`, in a sandbox: workers.sandbox.spooler) and store it by content; Quarantined
    where the row must end here. Touches no session, so a runner may
    read several lists of files on threads at once."""
    found = locate_files(ctx, file_paths, archive_root)
    paths = [item for item in found if isinstance(item, Path)]
    spooled = spool(paths) if spool is not None else _spool_here(paths, ctx.tmp_dir)
    return store_files(ctx, found, spooled)


def locate_files(
    ctx: Context, file_paths: Sequence[str], archive_root: Path
) -> list[Path | Quarantined]:
    """Each manifest file on disk, or why its row ends (missing, escaping)."""
    found: list[Path | Quarantined] = []
    real_folders: dict[str, str] = {}  # files of a list share folders: resolve each once
    for file_path in file_paths:
        try:
            found.append(resolve_path(archive_root, file_path, ctx.mapping, real_folders))
        except Quarantine as q:
            found.append(q.outcome)
        except OSError as exc:  # a name too long for the filesystem, a folder we cannot read
            found.append(Quarantined(Reason.MISSING_FILE, f"cannot read: {exc.strerror}"))
    return found


def store_files(
    ctx: Context, found: Sequence[Path | Quarantined], spooled: Sequence[Spooled | Quarantined]
) -> list[StoredFile | Quarantined]:
    """Store the spooled files (one for each Path in `found`, in order) by content."""
    reads = iter(spooled)
    stored: list[StoredFile | Quarantined] = []
    for item in found:
        read = next(reads) if isinstance(item, Path) else item
        if isinstance(read, Quarantined):
            stored.append(read)
            continue
        try:
            stored.append(store_spooled(read, ctx.store))
        except OSError as exc:
            stored.append(Quarantined(Reason.MISSING_FILE, f"cannot store: {exc.strerror}"))
    return stored


def ingest_row(
    ctx: Context,
    session: Session,
    row: LedgerRow,
    archive_root: Path,
    spool: Spool | None = None,
) -> tuple[Document | None, str]:
    """ingest_rows for one row, reading its file here."""
    found = read_files(ctx, [row.payload["file_path"]], archive_root, spool)[0]
    return ingest_rows(ctx, session, [(row, found)])[0]


def ingest_rows(
    ctx: Context, session: Session, items: Sequence[tuple[LedgerRow, StoredFile | Quarantined]]
) -> list[tuple[Document | None, str]]:
    """Record rows whose files are stored (read_files, or a runner's own reading): find or
    create each row's document (None where the row ends here), with what this run changed:
    new | new_version | unchanged ("" where nothing was stored). A handful of statements for
    the lot, not a dozen a row.

    The ledger row keeps the change of the first run that processed it.
    """
    now = ctx.now()
    stored = [found for _, found in items if isinstance(found, StoredFile)]
    new_content = docs.ensure_blobs(
        session, [docs.blob_row(f.sha256, f.key, f.size, f.mime, now) for f in stored]
    )
    known = docs.find_documents(
        session,
        {
            (row.source_system, row.source_document_id)
            for row, found in items
            if isinstance(found, StoredFile)
        },
    )
    results: list[tuple[Document | None, str]] = []
    for row, found in items:
        if isinstance(found, Quarantined):
            _end_row(row, RowState.QUARANTINED, found.reason, found.detail, now)
            results.append((None, ""))
            continue
        key = (row.source_system, row.source_document_id)
        document, change = _upsert_document(row, found, known.get(key), now)
        known[key] = document
        if document not in session:
            session.add(document)
        results.append((document, change))
    # ensure_blobs has written, so this transaction holds SQLite's write lock.
    docs.assign_new_ids(session, [document for document, _ in results if document is not None])
    session.flush()  # the new documents, in one INSERT
    versions = []
    recorded: list[tuple[LedgerRow, dict[str, Any]]] = []  # ledger.record_rows
    for (row, found), (ingested, change) in zip(items, results, strict=True):
        if ingested is None or not isinstance(found, StoredFile):
            continue
        if change != "unchanged":
            versions.append(docs.version_row(ingested, found.sha256, row.batch, now))
        if found.sha256 in new_content and change == "new":
            # No other document can share these bytes, and none of its exceptions can exist yet.
            FRESH_DOCUMENTS.setdefault(session).add(ingested.id)
        _record_on_row(row, ingested, change, found, now, recorded)
    ledger.record_rows(session, recorded)
    docs.add_versions(session, versions)
    return results


def _record_on_row(
    row: LedgerRow,
    document: Document,
    change: str,
    stored: StoredFile,
    now: datetime,
    recorded: list[tuple[LedgerRow, dict[str, Any]]],
) -> None:
    """The row's new values, on `recorded` for ledger.record_rows (one statement for the lot)."""
    expected = row.payload.get("sha256")
    if document.reason == "checksum_mismatch" and expected in (None, "", stored.sha256):
        # A later round corrected the manifest's checksum: the file may go on.
        document.state, document.reason, document.detail = RowState.STORED, None, ""
    if expected and expected != stored.sha256:
        document.state, document.reason = RowState.QUARANTINED, "checksum_mismatch"
        document.detail = f"manifest sha256 {expected[:12]}… but the file is {stored.sha256[:12]}…"
    values = {
        "change": row.change or change,  # the first run's change stays
        "sha256": stored.sha256,
        "document_id": document.id,
        **mirrored_state(document),
        "updated_at": now,
    }
    recorded.append((row, values))


def _upsert_document(
    row: LedgerRow, stored: StoredFile, document: Document | None, now: datetime
) -> tuple[Document, str]:
    """The row's document, found or new, with the stored file's facts (not yet flushed)."""
    payload = row.payload
    if document is not None and document.sha256 == stored.sha256:
        _refresh_manifest_fields(document, payload)
        return document, "unchanged"
    if document is None or document.sha256 is None:
        # None: a manifest's new document; no content yet: an upload's row, made empty when
        # the system sent it so its ID could be answered at once (workers/intake.py).
        if document is None:
            document = Document(
                source_system=row.source_system,
                source_document_id=row.source_document_id,
                version=1,
                created_at=now,
                state=RowState.STORED,
            )
        change = "new"
    else:
        document.version += 1
        change = "new_version"
    document.sha256, document.mime, document.original_name = (
        stored.sha256,
        stored.mime,
        stored.original_name,
    )
    document.extension_mismatch, document.batch = stored.extension_mismatch, row.batch
    document.state, document.reason, document.detail = RowState.STORED, None, ""
    document.updated_at = now
    _refresh_manifest_fields(document, payload)
    return document, change


def _refresh_manifest_fields(document: Document, payload: dict[str, Any]) -> None:
    document.title = payload.get("title") or document.original_name
    document.legacy_doc_type = payload.get("legacy_doc_type", "")
    document.legacy_person_ids = ";".join(payload.get("legacy_person_ids", []))
    document.extra = payload.get("extra", {})
    manifest_date = _date_or_none(payload.get("document_date"))
    if manifest_date is not None:
        document.document_date, document.date_source = manifest_date, "manifest"


def _end_row(
    row: LedgerRow, state: RowState, reason: str | None, detail: str, now: datetime
) -> None:
    row.state, row.reason, row.detail, row.updated_at = state, reason, detail, now


def mirrored_state(document: Document) -> dict[str, Any]:
    """What a ledger row takes from its document: the row mirrors the document's state."""
    return {"state": RowState(document.state), "reason": document.reason, "detail": document.detail}


def reuse_extraction(session: Session, document: Document) -> bool:
    """Copy text from another document with the same content, so shared files are parsed once."""
    if document.id in (FRESH_DOCUMENTS.get(session) or ()):
        return False
    twin = session.scalar(
        select(Document)
        .where(
            Document.sha256 == document.sha256,
            Document.id != document.id,
            Document.state.in_([s.value for s in EXTRACTED_STATES]),
        )
        .limit(1)
    )
    if twin is None:
        return False
    docs.set_text(session, document.id, docs.get_text(session, twin.id))
    document.pages, document.ocr_pages, document.engine = twin.pages, twin.ocr_pages, twin.engine
    copy_confidence(document, twin)
    document.reason = twin_reason(document, twin.reason)
    document.state = RowState.EXTRACTED
    return True


def apply_extractions(
    session: Session, results: Sequence[tuple[Document, ExtractionResult]], now: datetime
) -> None:
    """Record what the extractor found (the texts in one statement); a file it could not read
    is quarantined with the reason."""
    texts: dict[int, str] = {}
    for document, found in results:
        result = judged(document, found)  # bytes that contradict their name: unreadable
        document.engine, document.pages, document.ocr_pages = (
            result.engine,
            result.pages,
            result.ocr_pages,
        )
        record_confidence(document, result.ocr_confidence)
        document.updated_at = now
        if not result.ok:
            document.state, document.reason, document.detail = (
                RowState.QUARANTINED,
                result.reason,
                result.detail,
            )
            continue
        texts[document.id] = result.text
        document.state, document.reason, document.detail = (
            RowState.EXTRACTED,
            result.reason,
            result.detail,
        )
        _email_fields(document, result.metadata)
    # Not flushed here: the documents' new fields go out with their classification, in one
    # UPDATE (an autoflush here cost a second UPDATE of every document).
    with session.no_autoflush:
        docs.set_texts(session, texts)


@dataclass
class Extracted:
    """What record_extractions leaves to the runner."""

    onward: list[Document] = field(default_factory=list)  # with the attachments: to advance
    ended: list[Document] = field(default_factory=list)  # quarantined: the ledger syncs
    attachments: int = 0


def record_extractions(
    ctx: Context, session: Session, results: Sequence[tuple[Document, ExtractionResult]]
) -> Extracted:
    """Record what the parsers found: each document quarantined with the reason, or extracted
    with the attachments it brought (new documents, stored). The caller discards the results'
    attachment files."""
    from workers.attachments import add_attachments  # attachments imports Context from here

    apply_extractions(session, results, ctx.now())
    extracted = Extracted()
    for document, result in results:
        children = add_attachments(ctx, session, document, result.attachments)
        extracted.attachments += len(children)
        if document.state == RowState.QUARANTINED:
            extracted.ended.append(document)
        else:
            extracted.onward.append(document)
        extracted.onward.extend(children)
    forget(session, [document.id for document in extracted.ended])
    return extracted


def _email_fields(document: Document, metadata: dict[str, Any]) -> None:
    subject = metadata.get("subject")
    if subject and (not document.title or document.title == document.original_name):
        document.title = subject
    thread = {k: metadata[k] for k in ("message_id", "in_reply_to", "references") if k in metadata}
    if thread:  # a new dict: the JSON column sees the change
        document.extra = {**document.extra, "email_thread": thread}
    if document.document_date is None:
        email_date = metadata.get("date_iso")
        if email_date:
            document.document_date, document.date_source = date.fromisoformat(email_date), "email"


@dataclass
class Plan:
    """What advance leaves to the runner to dispatch."""

    extract: list[Document] = field(default_factory=list)  # to a parser
    index: list[Document] = field(default_factory=list)  # pending_index, to the search index
    settled: list[Document] = field(default_factory=list)  # nothing more: the ledger syncs


def advance(
    ctx: Context, session: Session, documents: Sequence[Document], batch: str | None = None
) -> Plan:
    """Take documents as far as they go without a parser or the index (stages.next_stage): a
    twin's text reused, then type, date and people. `batch`: the round taking the documents on
    (their later stages report to its rows, not to the round that first stored them)."""
    plan, to_classify = Plan(), []
    for document in documents:
        stage = next_stage(
            RowState(document.state),
            has_twin=partial(reuse_extraction, session, document),
            needs_relink=partial(needs_relink, session, document),
        )
        if batch is not None and stage != Stage.SETTLED:
            document.batch = batch
        if stage == Stage.EXTRACT:
            plan.extract.append(document)
        elif stage == Stage.CLASSIFY:
            to_classify.append(document)
        elif stage == Stage.INDEX:
            plan.index.append(document)
        else:
            plan.settled.append(document)
    waiting = set(classify_and_link_many(ctx, session, to_classify))  # the rest pending_index
    plan.index.extend(d for d in to_classify if d.id not in waiting)
    return plan


def record_failure(
    session: Session,
    failure: Failure,
    target_id: int,
    detail: str,
    now: datetime,
    *,
    batch: str | None = None,
    if_unfinished: bool = False,
) -> None:
    """A stage's permanent failure, on its ledger row or its document (whose rows of `batch`,
    default the round that last took it on, follow). `if_unfinished`: leave a target that has
    ended meanwhile (a task redelivered after another delivery finished it)."""
    target: LedgerRow | Document | None = (
        session.get(LedgerRow, target_id) if failure.on_row else session.get(Document, target_id)
    )
    if target is None or (if_unfinished and RowState(target.state).terminal):
        return
    target.state, target.reason, target.detail = RowState.FAILED, failure.reason, detail
    if isinstance(target, LedgerRow):
        target.updated_at = now
    else:
        ledger.sync_document(session, batch or target.batch, target, now)


def needs_relink(session: Session, document: Document) -> bool:
    """An unlinked document from an earlier round gets another look at the crosswalk (a later
    round may bring a corrected people.csv)."""
    kinds = set(docs.open_exception_kinds(session, document.id))
    return document.parent_id is None and bool(kinds & set(LINK_EXCEPTION_KINDS))


def classify_and_link_many(
    ctx: Context, session: Session, documents: Sequence[Document]
) -> list[int]:
    """Type, date and people for extracted documents; they then wait for the index. Returns
    the IDs of those left waiting on ctx.deferred for the matcher instead (match_deferred)."""
    now = ctx.now()
    links: list[dict[str, Any]] = []
    undated: list[tuple[Document, str]] = []
    unmatched: list[tuple[Document, LinkDecision]] = []  # for the matcher, as one batch
    training: list[tuple[int, str, dict[str, Any]]] = []  # confirmed pairs, one INSERT
    deferred: list[int] = []
    texts = [docs.get_text(session, document.id) for document in documents]
    prefetch_people(
        session,
        [
            (
                ctx.mapping.legacy_id_system or d.source_system,
                tuple(p for p in d.legacy_person_ids.split(";") if p),
                text,
            )
            for d, text in zip(documents, texts, strict=True)
            if d.parent_id is None
        ],
    )
    for document, text in zip(documents, texts, strict=True):
        if not document.type_confirmed:
            found = classify(
                legacy_doc_type=document.legacy_doc_type,
                title=document.title,
                text=text,
                mime=document.mime,
                mapping=ctx.mapping,
                model=ctx.type_model,
            )
            fresh_document = document.id in (FRESH_DOCUMENTS.get(session) or ())
            record_type(session, document, found, now, new_document=fresh_document)
        links.extend(
            link_document(
                session,
                document,
                text,
                now,
                unmatched=unmatched,
                training=training,
                crosswalk_system=ctx.mapping.legacy_id_system,
            )
        )
        fresh = document.id in (FRESH_DOCUMENTS.get(session) or ())
        queue_unreadable(session, document, now, new_document=fresh)
        if ctx.deferred is not None and unmatched and unmatched[-1][0] is document:
            # matched with the run's others, then dated and sent to the index
            ctx.deferred.append((document.id, unmatched.pop()[1]))
            deferred.append(document.id)
            continue
        if document.document_date is None:
            undated.append((document, text))
        document.state, document.updated_at = RowState.PENDING_INDEX, now
    _settle_matched(session, unmatched, links, training, now)
    # After the links: a linked person's date of birth is never the document's date.
    date_from_text(session, undated)
    return deferred


def _settle_matched(
    session: Session,
    unmatched: list[tuple[Document, LinkDecision]],
    links: list[dict[str, Any]],
    training: list[tuple[int, str, dict[str, Any]]],
    now: datetime,
) -> None:
    """Match the documents the crosswalk could not link as one batch, then record every
    decision's links and the confirmed pairs (one statement each, not one a document)."""
    match_unlinked(session, unmatched)  # probable links, or ranked candidates with evidence
    for document, decision in unmatched:
        links.extend(settle_links(session, document, decision, now, training=training))
    docs.add_links(session, links)
    record_training_pairs(session, training, now)


def match_deferred(
    ctx: Context, session: Session, waiting: Sequence[tuple[int, LinkDecision]]
) -> list[Document]:
    """Match the documents classify_and_link_many left on ctx.deferred, in one Splink run and
    with the matcher trained once for all of them (docs/decisions/0031), then date them; they
    are now pending_index. Returns them, for the index."""
    now = ctx.now()
    decisions = dict(waiting)
    ids = sorted(decisions)
    documents: list[Document] = []
    for start in range(0, len(ids), IN_LIST_MAX):
        documents.extend(
            session.scalars(
                select(Document).where(Document.id.in_(ids[start : start + IN_LIST_MAX]))
            )
        )
    documents.sort(key=lambda d: d.id)
    links: list[dict[str, Any]] = []
    _settle_matched(session, [(d, decisions[d.id]) for d in documents], links, [], now)
    for document in documents:
        document.state, document.updated_at = RowState.PENDING_INDEX, now
    date_from_text(
        session,
        [(d, docs.get_text(session, d.id)) for d in documents if d.document_date is None],
    )
    return documents


def link_document(
    session: Session,
    document: Document,
    text: str,
    now: datetime,
    *,
    unmatched: list[tuple[Document, LinkDecision]] | None = None,
    training: list[tuple[int, str, dict[str, Any]]] | None = None,
    crosswalk_system: str = "",
) -> list[dict[str, Any]]:
    """Decide the document's people: queue its doubts, and return the links to add (never
    removing a person's manual ones) as DocumentLink rows for docs.add_links. A document the
    crosswalk cannot link goes on `unmatched` (settled after match_unlinked) when given.
    `crosswalk_system`: the mapping's legacy_id_system (decide_links)."""
    if document.parent_id is not None:
        reason = f"attachment of document {document.parent_id}"
        return [
            docs.link_row(
                document.id, person_id, method="parent", reason=reason, actor="escr", now=now
            )
            for person_id in docs.linked_person_ids(session, document.parent_id)
        ]
    given = given_links(document)
    if given:  # a case management system named its people: the crosswalk is not asked
        reason = f"stored for this person by {document.source_system}"
        return [
            docs.link_row(
                document.id, person_id, method="cms", reason=reason, actor="escr", now=now
            )
            for person_id in given
        ]
    legacy_ids = tuple(p for p in document.legacy_person_ids.split(";") if p)
    decision = decide_links(
        session,
        system=document.source_system,
        legacy_person_ids=legacy_ids,
        text=text,
        title=document.title or "",
        crosswalk_system=crosswalk_system,
    )
    if unmatched is not None and needs_matching(decision):
        unmatched.append((document, decision))
        return []
    return settle_links(session, document, decision, now, training=training)


def settle_links(
    session: Session,
    document: Document,
    decision: LinkDecision,
    now: datetime,
    *,
    training: list[tuple[int, str, dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Queue a decision's doubts (with their candidates' sources and evidence), close the
    ones a later round no longer has, and return its links as DocumentLink rows. A confirmed
    pair goes on `training` for the caller to record with its group's (recorded now without)."""
    kinds = {kind for kind, _ in decision.exceptions}
    stale = [k for k in LINK_EXCEPTION_KINDS if k not in kinds]
    fresh = document.id in (FRESH_DOCUMENTS.get(session) or ())
    if stale and not fresh:
        docs.resolve_exceptions(
            session, document.id, kinds=stale, resolution="re-linked by a later round", now=now
        )
    for kind, detail in decision.exceptions:
        docs.open_exception(
            session,
            document_id=document.id,
            kind=kind,
            detail=detail,
            candidates=decision.candidates,
            now=now,
            new_document=fresh,
        )
        record_candidates(session, document.id, kind, decision, now, new_document=fresh)
    if decision.links and not decision.exceptions and fresh:
        pair = training_pair(document.id, decision)
        if pair is not None and training is not None:
            training.append(pair)
        elif pair is not None:
            record_training_pairs(session, [pair], now)
    return [
        docs.link_row(
            document.id, person_id, method=decision.method, reason=reason, actor="escr", now=now
        )
        for person_id, reason in decision.links.items()
    ]


def index_pending(ctx: Context, session: Session, documents: list[Document]) -> None:
    """Write documents to the search index, then mark them indexed (catalog first, index after)."""
    ctx.index.upsert(documents_to_index(session, documents))
    mark_indexed(ctx, session, documents)


def documents_to_index(session: Session, documents: list[Document]) -> list[SearchDocument]:
    """What the search index is to hold for these documents, read while their texts are in the
    session's cache; the cache then lets them go."""
    entries = list(search_documents(session, with_indexed_family(session, documents)))
    forget(session, [d.id for d in documents])
    return entries


def mark_indexed(ctx: Context, session: Session, documents: Sequence[Document]) -> None:
    """Mark documents indexed, once the index write that holds them has returned."""
    docs.set_states(session, documents, RowState.INDEXED, ctx.now())
    # Told to the systems that subscribed, in this same transaction (catalog/outbox.py).
    outbox.document_events(
        session, outbox.DOCUMENT_INDEXED, [d.id for d in documents], now=ctx.now()
    )


def forget(session: Session, document_ids: list[int]) -> None:
    """Drop what this session kept in memory about finished documents."""
    docs.forget_texts(session, document_ids)
    fresh = FRESH_DOCUMENTS.get(session) or set()
    fresh.difference_update(document_ids)
