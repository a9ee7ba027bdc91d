"""Building a SAR bundle for the API and the pages: render what the request's documents still
lack, then api/sar_release.release (burn-in, release gate, the release kept and audited) in a
sandbox pool of its own, writing into a temporary folder; a bundle that passed is in the blob
store (SarRelease), so nothing is left on the server's disk.

The CLI's `escr sar bundle` refuses a document without a rendition ("render it"); an IG officer
on the web has no `escr render`, so here the missing ones are made first, as that command would.
Nothing is held open while the sandbox works: each missing rendition is recorded in a short
transaction of its own, and release() ends its reading transaction before it writes, so the
web's other requests write meanwhile (SQLite has one writer at a time). The pages run this in a
background thread (api/web/sar_jobs.py); the API route waits for it (tens of documents: seconds
to a minute; thousands of pages: `escr sar bundle`, decision 0034's costs).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from api.sar_release import outcome_json, release
from catalog import renditions
from catalog.db import session_factory, writer_session_factory
from catalog.models import Document
from catalog.renditions import Made
from core.clock import utcnow
from core.errors import Conflict
from core.settings import Settings
from records import sar_redact
from records.sar import get_request
from retention.periods import server_today
from storage.base import BlobStore
from workers.ingest import scratch_folder
from workers.load import limits_from
from workers.render.stage import render_unrecorded
from workers.sandbox import SandboxPool

# Sandbox children for a build from the web: the server keeps a core for its other callers.
MAX_WORKERS = 2


def build(
    session: Session, sar_id: int, *, actor: str, settings: Settings, store: BlobStore
) -> dict[str, Any]:
    """Render what is missing, build, gate and (when the gate passes) keep the release; the
    outcome as the CLI prints it, with `rendered` (renditions made first)."""
    get_request(session, sar_id)
    codes = sar_redact.exemptions(settings.sar.exemptions_file)
    blocked = sar_redact.blockers(session, sar_id, codes)
    if blocked:  # before a pool is started: the common refusal costs nothing
        raise Conflict("the bundle cannot be built yet: " + "; ".join(blocked))
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    with (
        scratch_folder(settings.tmp_dir) as scratch,
        SandboxPool(workers, limits_from(settings), scratch) as pool,
    ):
        missing = [
            d.id
            for d in renditions.waiting_among(
                session, sar_redact.included_documents(session, sar_id)
            )
        ]
        session.commit()  # the reads end here: the renders below record on their own
        rendered = render_missing(settings, store, pool, missing, scratch)
        with tempfile.TemporaryDirectory(dir=scratch) as out:
            outcome, row = release(
                session,
                sar_id,
                actor=actor,
                out_dir=Path(out),
                store=store,
                pool=pool,
                today=server_today(),
                dpi=settings.sar.bundle_dpi,
            )
            shown = outcome_json(outcome, row)
    # The folder is gone: the paths meant nothing to a client (the blobs are the release).
    shown["pdf"] = shown["zip"] = None
    return {**shown, "rendered": rendered}


def render_missing(
    settings: Settings, store: BlobStore, pool: SandboxPool, document_ids: list[int], tmp: Path
) -> int:
    """Render the documents with no transaction open while the sandbox works, then record them
    all in one short transaction: on SQLite a commit landing between another request's read
    and its write fails that request ("database is locked"), so the build commits twice in
    all (these renditions, then the release). How many renditions were made; failures are
    recorded with their reason, as `escr render` records them, and the bundle names them."""
    read = session_factory(settings.database_url)
    made: dict[int, Made] = {}
    for document_id in document_ids:
        with read() as session:
            document = session.get(Document, document_id)
            if document is not None:
                made[document_id] = render_unrecorded(session, store, pool, document, tmp)
    if not made:
        return 0
    with writer_session_factory(settings.database_url)() as session:
        now = utcnow()
        for document_id, rendition in made.items():
            document = session.get(Document, document_id)
            if document is not None and renditions.current(session, document) is None:
                renditions.record(session, document, rendition, now)
        session.commit()
    return sum(1 for rendition in made.values() if rendition.sha256 is not None)
