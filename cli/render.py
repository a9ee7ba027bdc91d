"""`escr render`: the rendition of every document that waits for one (docs/decisions/0027)."""

from __future__ import annotations

import argparse
import json
import sys

from cli.common import ready


def render(args: argparse.Namespace) -> int:
    """Render what waits; the counts as one JSON line. Exit 0 even where some could not be
    made: a failed rendition is recorded with its reason, and the document is unchanged."""
    from workers.render.stage import render_catalog

    settings = ready()
    counts = render_catalog(
        settings, batch=args.batch, workers=args.workers, progress=not args.quiet
    )
    if counts.failed:
        print(
            f"{counts.failed} rendition(s) could not be made: "
            + ", ".join(f"{reason} {n}" for reason, n in sorted(counts.reasons.items())),
            file=sys.stderr,
        )
    print(json.dumps(counts.as_json(), sort_keys=True))
    return 0
