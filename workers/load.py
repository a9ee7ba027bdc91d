"""`escr load`: register, load people, run the pipeline, reconcile (for the CLI and API)."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.db import session_factory
from catalog.reconcile import reconcile
from catalog.schema import migrate
from core.clock import utcnow
from core.collector import fewer_collections
from core.errors import InvalidInput
from core.logging import get_logger
from core.malloc import use_one_malloc_arena
from core.settings import Settings
from indexer.factory import make_index
from storage.factory import make_blob_store
from storage.local import LocalBlobStore
from workers.extract.base import Limits
from workers.ingest import remove_stale_spools, scratch_folder
from workers.learn_types import classify_unlabelled, current_model, should_train, train
from workers.local_runner import LocalRunner
from workers.pipeline import Context
from workers.register import (
    PeopleSummary,
    default_batch_name,
    file_sha256,
    load_people,
    register_manifest,
)
from workers.rounds import correct_metadata
from workers.sandbox import SandboxPool
from workers.sources.mapping import load_mapping
from workers.type_model import TooFewLabels, current_model_path, usable_model

log = get_logger(__name__)


def limits_from(settings: Settings) -> Limits:
    return Limits(
        timeout_s=settings.sandbox.timeout_s,
        memory_mb=settings.sandbox.memory_mb,
        max_image_pixels=settings.sandbox.max_image_pixels,
        max_text_chars=settings.sandbox.max_text_chars,
        ocr_language=settings.ocr.language,
        ocr_page_timeout_s=settings.ocr.page_timeout_s,
        ocr_dpi=settings.ocr.dpi,
    )


def make_context(settings: Settings, mapping_path: Path | None = None) -> Context:
    return Context(
        store=make_blob_store(settings),
        index=make_index(settings),
        mapping=load_mapping(mapping_path),
        tmp_dir=settings.tmp_dir,
        type_model=current_model(settings.home),
    )


def load_archive(
    settings: Settings,
    *,
    manifest: Path,
    people: Path | None,
    mapping_path: Path | None = None,
    workers: int | None = None,
    batch: str | None = None,
    progress: bool = True,
    render: bool | None = None,
    learn_types: bool = False,
) -> dict[str, Any]:
    """Load one manifest to the end and return the summary printed by `escr load`; with
    `render` (default: settings.render.after_load), then make the batch's renditions. With
    `learn_types`, a load that ends with enough labelled documents trains the type model
    (workers.learn_types.should_train) and classifies the unlabelled ones with it."""
    if not manifest.is_file():
        raise InvalidInput(f"manifest {manifest} not found")
    if people is not None and not people.is_file():
        raise InvalidInput(f"people file {people} not found")
    started = time.monotonic()
    use_one_malloc_arena()  # before the runner's threads: memory stays flat (core/malloc.py)
    # The pool is started first: the children start while the catalog is migrated and the
    # manifest registered (their start-up is most of a second). Their scratch files (page images
    # for Tesseract, email attachments) go in a folder of this load's own, removed once they
    # have stopped: a child killed in the middle of a file leaves nothing behind.
    with (
        fewer_collections(),
        scratch_folder(settings.tmp_dir) as scratch,
        SandboxPool(workers or os.cpu_count() or 1, limits_from(settings), scratch) as pool,
    ):
        migrate(settings.database_url)
        ctx = make_context(settings, mapping_path)
        # Type, NHS numbers and date found in the children.
        pool.scan_with(ctx.mapping.keywords, _model_path(ctx, settings))
        # What a killed load was reading goes: its children's spool files in the local store's
        # staging folder, its own (attachments) in the temp folder.
        remove_stale_spools(settings.tmp_dir)
        if isinstance(ctx.store, LocalBlobStore):
            remove_stale_spools(ctx.store.staging)
        digest = file_sha256(manifest)
        people_digest = file_sha256(people) if people else ""
        name = batch or default_batch_name(
            manifest, digest, mapping_sha256=ctx.mapping.sha256, people_sha256=people_digest
        )
        warnings: Counter[str] = Counter()
        with session_factory(settings.database_url)() as session:
            people_summary = load_people(session, people, ctx.mapping) if people else None
            record = register_manifest(
                session,
                batch=name,
                manifest=manifest,
                manifest_sha256=digest,
                people=people,
                mapping=ctx.mapping,
                people_sha256=people_digest,
                warnings=warnings,
            )
            # Before the pipeline: the documents a corrected round changes go back to be
            # classified, linked and indexed with the rows (workers/rounds.py).
            metadata_updated = correct_metadata(session, record, utcnow())
            log.info("load.registered", batch=name, rows=record.rows_total)
            runner = LocalRunner(
                ctx,
                session,
                batch=name,
                archive_root=manifest.parent,
                pool=pool,
                progress=progress,
                pages_per_task=settings.ocr.pages_per_task,
            )
            counts = runner.run(total=record.rows_total)
            summary = reconcile(session, name)
            if summary["unaccounted"] == 0:  # else it stays `loading`, for the next run
                record = session.merge(record)
                record.status, record.finished_at = "complete", utcnow()
                session.commit()
                summary["status"] = record.status
            # Training is the migration lead's step (escr classify train), not part of every
            # load: on a first round it doubled the load's time (decision 0032). The summary
            # says when it is due.
            if learn_types:
                summary["type_model"] = _learn_types(session, ctx, settings)
            elif should_train(session, ctx.mapping, settings.home):
                summary["type_model"] = {"trained": False, "due": True}
            rendering = 0.0
            if settings.render.after_load if render is None else render:
                summary["renditions"] = _render_batch(session, ctx, pool, name, progress)
                rendering = float(summary["renditions"]["seconds"])
    summary.update(
        {
            "new": counts.changes.get("new", 0),
            "new_versions": counts.changes.get("new_version", 0),
            "unchanged": counts.changes.get("unchanged", 0),
            "extracted_this_run": counts.extracted,
            "failed_this_run": counts.failed,
            "metadata_updated": metadata_updated,
            "warnings": _warning_counts(warnings, people_summary),
            # The load's own time: renditions apart (they are counted in their own summary).
            "seconds": round(time.monotonic() - started - rendering, 2),
        }
    )
    if people_summary is not None:
        summary["people"] = {
            "rows": people_summary.rows,
            "changed": people_summary.changed,
            "bad_rows": people_summary.bad,
            "warnings": people_summary.warnings[:50],
        }
    return summary


def _model_path(ctx: Context, settings: Settings) -> Path | None:
    """The file of the model the children are to apply: the one this load classifies with."""
    return current_model_path(settings.home) if ctx.type_model is not None else None


def _learn_types(session: Session, ctx: Context, settings: Settings) -> dict[str, Any] | None:
    """Train the type model when the catalog has enough new labels, then classify every
    unlabelled document with it (decision 0032); None when there was nothing to do."""
    if not should_train(session, ctx.mapping, settings.home):
        return None
    started = time.monotonic()
    try:
        trained = train(session, ctx.mapping, settings.home, now=utcnow())
    except TooFewLabels as exc:
        return {"trained": False, "reason": str(exc)}
    ctx.type_model = usable_model(trained.path)
    outcome = (
        classify_unlabelled(session, ctx.index, ctx.mapping, ctx.type_model, now=utcnow())
        if ctx.type_model is not None
        else {}
    )
    return {
        "trained": True,
        "version": trained.about.version,
        "documents": trained.about.trained_on,
        "macro_f1": trained.about.macro_f1,
        "unlabelled": dict(outcome),
        "seconds": round(time.monotonic() - started, 2),
    }


def _render_batch(
    session: Session, ctx: Context, pool: SandboxPool, batch: str, progress: bool
) -> dict[str, Any]:
    """The batch's renditions, once its documents are indexed (docs/decisions/0027), in the
    load's own sandbox pool: their jobs start only when the load's have finished."""
    from workers.render.stage import render_waiting

    started = time.monotonic()
    counts = render_waiting(session, ctx.store, pool, batch=batch, progress=progress)
    return {**counts.as_json(), "seconds": round(time.monotonic() - started, 2)}


def _warning_counts(manifest: Counter[str], people: PeopleSummary | None) -> dict[str, int]:
    """What the load went on in spite of, by file and code ("manifest.unreadable_date")."""
    counts = {f"manifest.{code}": n for code, n in manifest.items()}
    if people is not None:
        counts.update({f"people.{code}": n for code, n in people.warning_counts.items()})
    return dict(sorted(counts.items()))
