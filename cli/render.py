"""`escr render`: the rendition of every document that waits for one (docs/decisions/0027)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from cli.common import ready


def render(args: argparse.Namespace) -> int:
    """Render what waits, in a sandbox pool of its own; the counts as one JSON line. Exit 0
    even where some could not be made: a failed rendition is recorded with its reason, and
    the document itself is unchanged."""
    from catalog.db import session_factory
    from storage.factory import make_blob_store
    from workers.ingest import scratch_folder
    from workers.load import limits_from
    from workers.render.stage import render_waiting
    from workers.sandbox import SandboxPool

    settings = ready()
    workers = args.workers or os.cpu_count() or 1
    with (
        scratch_folder(settings.tmp_dir) as scratch,
        SandboxPool(workers, limits_from(settings), scratch) as pool,
        session_factory(settings.database_url)() as session,
    ):
        counts = render_waiting(
            session, make_blob_store(settings), pool, batch=args.batch, progress=not args.quiet
        )
    if counts.failed:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.reasons.items()))
        print(f"{counts.failed} rendition(s) could not be made: {reasons}", file=sys.stderr)
    print(json.dumps(counts.as_json(), sort_keys=True))
    return 0
