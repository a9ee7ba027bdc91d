"""`escr load --via celery`: register as usual, enqueue every row, and follow the ledger."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from catalog.db import session_factory
from catalog.ledger import get_batch
from catalog.reconcile import reconcile
from catalog.schema import migrate
from core.clock import utcnow
from core.errors import InvalidInput
from core.settings import Settings
from workers.celery_app import configure
from workers.register import default_batch_name, file_sha256, load_people, register_manifest
from workers.rounds import correct_metadata
from workers.sources.mapping import load_mapping

POLL_S = 1.0


def load_via_celery(
    settings: Settings,
    *,
    manifest: Path,
    people: Path | None,
    mapping_path: Path | None = None,
    batch: str | None = None,
    detach: bool = False,
    progress: bool = True,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Queue the batch to the workers; unless detached, wait until every row has ended."""
    if not manifest.is_file():
        raise InvalidInput(f"manifest {manifest} not found")
    if mapping_path is not None:
        # Workers read the default mapping: a custom one must be deployed to them first.
        raise InvalidInput("--mapping with --via celery is not supported yet; load locally")
    from workers.tasks import enqueue_batch

    started = time.monotonic()
    migrate(settings.database_url)
    configure(settings)
    mapping = load_mapping(None)
    digest = file_sha256(manifest)
    people_digest = file_sha256(people) if people else ""
    name = batch or default_batch_name(
        manifest, digest, mapping_sha256=mapping.sha256, people_sha256=people_digest
    )
    with session_factory(settings.database_url)() as session:
        if people is not None:
            load_people(session, people, mapping)
        record = register_manifest(
            session,
            batch=name,
            manifest=manifest.resolve(),
            manifest_sha256=digest,
            people=people,
            mapping=mapping,
            people_sha256=people_digest,
        )
        # Before the rows are queued: corrected documents go back to classification.
        metadata_updated = correct_metadata(session, record, utcnow())
        total = record.rows_total
        sent = enqueue_batch(session, name)
    if detach:
        return {
            "batch": name,
            "rows": total,
            "queued": sent,
            "detached": True,
            "metadata_updated": metadata_updated,
        }
    summary = _follow(settings, name, total, started, progress, timeout_s)
    return summary | {"queued": sent, "metadata_updated": metadata_updated}


def _follow(
    settings: Settings,
    name: str,
    total: int,
    started: float,
    progress: bool,
    timeout_s: float | None,
) -> dict[str, Any]:
    bar = tqdm(total=total, unit="row", file=sys.stderr, disable=not progress)
    factory = session_factory(settings.database_url)
    while True:
        try:
            summary = _check(factory, name, total)
        except OperationalError:
            summary = None  # the database is restarting: keep following
        if summary is not None and summary.get("complete"):
            break
        if summary is not None:
            bar.update(summary["rows"] - summary["unaccounted"] - bar.n)
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            bar.close()
            raise TimeoutError(f"batch {name} not complete after {timeout_s} s")
        time.sleep(POLL_S)
    bar.close()
    summary.pop("complete")
    summary["seconds"] = round(time.monotonic() - started, 2)
    return summary


def _check(factory: sessionmaker[Session], name: str, total: int) -> dict[str, Any]:
    """The batch's reconciliation; marks the batch complete when every row has ended."""
    with factory() as session:
        summary = reconcile(session, name)
        summary["complete"] = (
            summary["unaccounted"] == 0
            and summary["attachments_pending"] == 0
            and summary["rows"] >= total
        )
        if summary["complete"]:
            record = get_batch(session, name)
            record.status, record.finished_at = "complete", utcnow()
            session.commit()
            summary = reconcile(session, name) | {"complete": True}
        return summary
