"""The `escr` command: a thin face over the same functions the API calls.

Machine-readable results go to stdout (the last line of `escr load` is one JSON object);
progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cli.parsing import command
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
    from cli import (
        access,
        classify,
        commands,
        quality,
        render,
        retention,
        sar,
        service_accounts,
        webhooks,
    )
    from indexer.base import MAX_RESULT_WINDOW

    # Modules with a `register(subparsers)` function, each adding one command group.
    groups: tuple[Any, ...] = (
        retention,
        access,
        classify,
        sar,
        quality,
        webhooks,
        service_accounts,
    )
    parser = argparse.ArgumentParser(prog="escr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = command(
        sub,
        "synth",
        "write a seeded synthetic legacy archive with ground truth",
        ["escr synth var/archive --people 20 --docs 100"],
    )
    p.add_argument("out_dir", type=Path, help="folder to write the archive into")
    p.add_argument("--people", type=int, default=20, help="how many people (20)")
    p.add_argument("--docs", type=int, default=100, help="how many documents (100)")
    p.add_argument("--seed", type=int, default=1, help="the same seed writes the same archive")
    p.add_argument(
        "--noise",
        nargs="?",
        const="typical",
        default=None,
        choices=("light", "typical", "heavy"),
        help="add real exports' mistakes at a level (typical when no level is given; off when "
        "absent) and write truth.csv and people_truth.csv beside the archive",
    )
    p.set_defaults(func=commands.synth)

    p = command(
        sub,
        "load",
        "load a manifest and its files (resumable, idempotent)",
        [
            "escr load var/archive/manifest.csv --people var/archive/people.csv",
            "escr load export/manifest.csv --people people.csv --mapping mapping.yaml "
            "--batch round-2 --workers 4",
        ],
    )
    p.add_argument("manifest", type=Path, help="the manifest CSV, one row per document")
    p.add_argument(
        "--people",
        type=Path,
        required=True,
        help="people CSV from the target system: person IDs, legacy IDs, names, NHS numbers",
    )
    p.add_argument(
        "--mapping",
        type=Path,
        help="YAML naming the manifest's columns and legacy types (default: the built-in one)",
    )
    p.add_argument("--workers", type=int, help="processes reading files (default: one a CPU core)")
    p.add_argument(
        "--batch",
        help="the batch's name, for reconcile and the console (default: the folder and a hash "
        "of the manifest, mapping and people file, so a corrected round is a new batch)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--via",
        choices=("local", "celery"),
        default="local",
        help="local: this machine's processes (default); celery: the scale-out workers",
    )
    p.add_argument("--detach", action="store_true", help="with --via celery: queue and return")
    p.add_argument(
        "--render",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="then make the batch's renditions (escr render); default: ESCR_RENDER__AFTER_LOAD",
    )
    p.add_argument(
        "--learn-types",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="then train the document-type model, when enough new documents are labelled "
        "(as escr classify train; docs/decisions/0032); default: off, and the summary says "
        "when training is due",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="load nothing: report what the load would refuse or guess, with file lines "
        "(exit 1 if it would refuse a row)",
    )
    p.add_argument("--json", action="store_true", help="with --check: the report as JSON")
    p.add_argument(
        "--examples", type=int, default=5, help="with --check: examples shown per problem (5)"
    )
    p.set_defaults(func=commands.load)

    p = command(
        sub,
        "worker",
        "run a Celery worker for the pipeline's tasks",
        ["escr worker --queues default,ocr,convert --concurrency 4"],
    )
    p.add_argument(
        "--queues", default="default,ocr,convert", help="comma-separated (default,ocr,convert)"
    )
    p.add_argument("--concurrency", type=int, help="threads (default: one a CPU core)")
    p.add_argument("--name", default="escr@%h", help="the worker's Celery name (escr@%%h)")
    p.set_defaults(func=commands.worker)

    p = command(
        sub,
        "reconcile",
        "counts for a batch; --rows writes one CSV line per row",
        ["escr reconcile round-2", "escr reconcile round-2 --rows round-2-rows.csv"],
    )
    p.add_argument("batch", help="the batch's name (escr batches lists them)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument(
        "--rows", type=Path, help="also write each manifest row's outcome to this CSV file"
    )
    p.set_defaults(func=commands.reconcile)

    p = command(
        sub,
        "batches",
        "load batches, newest first: state, rows, started, finished",
        ["escr batches", "escr batches --json"],
    )
    p.add_argument(
        "--limit", type=bounded_int(1, MAX_RESULT_WINDOW), default=100, help="at most (100)"
    )
    p.add_argument("--json", action="store_true", help="a JSON list")
    p.set_defaults(func=commands.batches)

    p = command(
        sub,
        "search",
        "full-text search",
        [
            'escr search "home visit"',
            "escr search grandmother --type case_note --type assessment --limit 50",
            "escr search --person MOS1 --json",
        ],
    )
    p.add_argument("query", nargs="?", default="", help="words to find (none: every document)")
    p.add_argument(
        "--person", action="append", default=[], help="only on this person ID (repeatable)"
    )
    p.add_argument(
        "--type",
        action="append",
        default=[],
        help="only this document type, e.g. case_note (repeatable; an unknown one lists them)",
    )
    p.add_argument(
        "--source", action="append", default=[], help="only from this source system (repeatable)"
    )
    p.add_argument(
        "--limit",
        type=bounded_int(1, MAX_RESULT_WINDOW),
        default=20,
        help=f"at most this many hits, 1..{MAX_RESULT_WINDOW} (20)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object, as the API answers")
    p.set_defaults(func=commands.search)

    p = command(
        sub,
        "show",
        "a document's metadata (and --text its extracted text)",
        ["escr show 42", "escr show 42 --text"],
    )
    p.add_argument("document_id", type=bounded_int(1, MAX_ID), help="the document's ID")
    p.add_argument("--text", action="store_true", help="also the extracted text")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=commands.show)

    p = command(
        sub, "verify", "re-hash every stored blob (fixity); non-zero on a problem", ["escr verify"]
    )
    p.set_defaults(func=commands.verify)

    p = command(
        sub,
        "render",
        "make the readable PDF (rendition) of every document still without one",
        ["escr render", "escr render --batch round-2 --workers 2"],
    )
    p.add_argument("--batch", help="only this batch's documents")
    p.add_argument("--workers", type=int, help="processes rendering (default: one a CPU core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=render.render)

    p = command(
        sub,
        "reindex",
        "rebuild the search index from the catalog",
        ["escr reindex", "escr reindex --pending"],
    )
    p.add_argument("--pending", action="store_true", help="only documents waiting for the index")
    p.set_defaults(func=commands.reindex)

    p = command(sub, "serve", "serve the API", ["escr serve", "escr serve --port 8080"])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--port", type=bounded_int(1, 65535), default=8000, help="port to listen on (8000)"
    )
    p.set_defaults(func=commands.serve)

    p = command(
        sub,
        "demo",
        "synthesise an archive, load it, reconcile, and serve",
        ["escr demo", "escr demo --port 8080", "escr demo --no-serve && escr serve"],
    )
    p.add_argument(
        "--no-serve", action="store_true", help="stop before serving (the users are still made)"
    )
    p.add_argument("--docs", type=int, default=120, help="documents to synthesise (120)")
    p.add_argument("--people", type=int, default=25, help="people to synthesise (25)")
    p.add_argument(
        "--port", type=bounded_int(1, 65535), default=8000, help="port to serve on (8000)"
    )
    p.set_defaults(func=commands.demo)

    # Command groups owned by other capabilities register themselves here.
    for module in groups:
        module.register(sub)
    return parser


# Commands that read files in the sandbox: their forkserver starts before the parser's imports.
_SANDBOX_FIRST = frozenset({"load", "demo"})


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] and sys.argv[1] in _SANDBOX_FIRST:
        # Its ~0.4 s of preloading the parsers then runs on another core while this process
        # imports its own (~0.5 s), and the first files find their children ready
        # (workers/sandbox_server.py). Only for the process's own command line: the first word
        # names the command (no option comes before it).
        from workers.sandbox_server import start

        start()
    configure_logging("WARNING")
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()  # here, so a reader that has gone is met inside this try
        if argv is None:
            # The process ends next: out of the collector's reach, its objects are freed
            # without a last walk over them all at exit (0.2-0.4 s of every `escr load`,
            # docs/decisions/0023). Not for in-process callers (tests), which live on.
            gc.freeze()
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
