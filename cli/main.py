"""The `escr` command: a thin face over the same functions the API calls.

Machine-readable results go to stdout (the last line of `escr load` is one JSON object);
progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.errors import EscrError
from core.logging import configure_logging

# The commands are imported when the parser is built, not with this module: a sandbox child
# started by `escr load` runs this module again as its __main__ (multiprocessing's forkserver
# does that for every child), and the commands' imports (SQLAlchemy, the API) cost each child
# half a second of CPU before it could read a file (docs/decisions/0016).


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high, or a usage error saying so (never a
    traceback from deeper down, e.g. an ID the database driver cannot hold)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    from catalog.db import MAX_ID
    from cli import access, commands, retention
    from indexer.base import MAX_RESULT_WINDOW

    # Modules with a `register(subparsers)` function, each adding one command group.
    groups: tuple[Any, ...] = (retention, access)
    parser = argparse.ArgumentParser(prog="escr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="write a seeded synthetic legacy archive with ground truth")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--people", type=int, default=20)
    p.add_argument("--docs", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=commands.synth)

    p = sub.add_parser("load", help="load a manifest and its files (resumable, idempotent)")
    p.add_argument("manifest", type=Path)
    p.add_argument("--people", type=Path, required=True)
    p.add_argument("--mapping", type=Path)
    p.add_argument("--workers", type=int)
    p.add_argument("--batch")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--via", choices=("local", "celery"), default="local")
    p.add_argument("--detach", action="store_true", help="with --via celery: queue and return")
    p.set_defaults(func=commands.load)

    p = sub.add_parser("worker", help="run a Celery worker for the pipeline's tasks")
    p.add_argument("--queues", default="default,ocr")
    p.add_argument("--concurrency", type=int)
    p.add_argument("--name", default="escr@%h")
    p.set_defaults(func=commands.worker)

    p = sub.add_parser("reconcile", help="counts for a batch; --rows writes one CSV line per row")
    p.add_argument("batch")
    p.add_argument("--json", action="store_true")
    p.add_argument("--rows", type=Path)
    p.set_defaults(func=commands.reconcile)

    p = sub.add_parser("search", help="full-text search")
    p.add_argument("query", nargs="?", default="")
    p.add_argument("--person", action="append", default=[])
    p.add_argument("--type", action="append", default=[])
    p.add_argument("--source", action="append", default=[])
    p.add_argument("--limit", type=bounded_int(1, MAX_RESULT_WINDOW), default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=commands.search)

    p = sub.add_parser("show", help="a document's metadata (and --text its extracted text)")
    p.add_argument("document_id", type=bounded_int(1, MAX_ID))
    p.add_argument("--text", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=commands.show)

    p = sub.add_parser("verify", help="re-hash every stored blob (fixity); non-zero on a problem")
    p.set_defaults(func=commands.verify)

    p = sub.add_parser("reindex", help="rebuild the search index from the catalog")
    p.add_argument("--pending", action="store_true", help="only documents waiting for the index")
    p.set_defaults(func=commands.reindex)

    p = sub.add_parser("serve", help="serve the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=bounded_int(1, 65535), default=8000)
    p.set_defaults(func=commands.serve)

    p = sub.add_parser("demo", help="synthesise an archive, load it, reconcile, and serve")
    p.add_argument("--no-serve", action="store_true")
    p.add_argument("--docs", type=int, default=120)
    p.add_argument("--people", type=int, default=25)
    p.add_argument("--port", type=bounded_int(1, 65535), default=8000)
    p.set_defaults(func=commands.demo)

    # Command groups owned by other capabilities register themselves here.
    for module in groups:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging("WARNING")
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()  # here, so a reader that has gone is met inside this try
        return code
    except BrokenPipeError:
        return _reader_gone()
    except EscrError as exc:
        print(f"escr: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("escr: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


def _reader_gone() -> int:
    """`escr ... | head`: the reader took what it wanted and closed the pipe. Stop quietly, as
    a Unix tool killed by SIGPIPE would (not by restoring SIGPIPE's default: that would also kill
    `escr serve` when a client hangs up). Python's own flush of stdout at exit would fail again
    and print a warning, so stdout is pointed at /dev/null first."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + 13  # the shell's status for a process ended by SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
