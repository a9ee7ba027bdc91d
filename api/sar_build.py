"""Building a SAR bundle for the API and the pages: render what the request's documents still
lack, then api/sar_release.release (burn-in, release gate, the release kept and audited) in a
sandbox pool of its own, writing into a temporary folder; a bundle that passed is in the blob
store (SarRelease), so nothing is left on the server's disk.

The CLI's `escr sar bundle` refuses a document without a rendition ("render it"); an IG officer
on the web has no `escr render`, so here the missing ones are made first, as that command would.
The build runs in the request: fine for the tens of documents a request usually holds, minutes
for thousands of pages (decision 0034's costs); `escr sar bundle` remains for those.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from api.sar_release import outcome_json, release
from catalog import renditions
from core.errors import Conflict
from core.settings import Settings
from records import sar_redact
from records.sar import get_request
from retention.periods import server_today
from storage.base import BlobStore
from workers.ingest import scratch_folder
from workers.load import limits_from
from workers.render.stage import RenderCounts, render_documents
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
        missing = renditions.waiting_among(session, sar_redact.included_documents(session, sar_id))
        counts = RenderCounts()
        if missing:
            render_documents(session, store, pool, missing, counts)
            session.flush()
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
    return {**shown, "rendered": counts.made + counts.original + counts.shared}
