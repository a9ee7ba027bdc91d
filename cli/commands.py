"""The `escr` subcommands. Each returns the process exit code."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from catalog.db import session_factory
from catalog.reconcile import reconcile as reconcile_batch
from catalog.reconcile import write_row_report
from cli.common import print_reconciliation, ready, serve_web
from cli.terminal import CONTROL, plural, styled_output, terminal_snippet, terminal_text
from core.settings import get_settings
from indexer.base import SearchQuery
from records import filters, reads
from records.access import Caller, service_caller
from records.fixity import verify_blobs


def _caller() -> Caller:
    """Whoever can run the CLI on this machine already reads the catalog: a local administrator."""
    return service_caller(f"cli:{getpass.getuser()}")


def _print_json(value: object) -> None:
    print(json.dumps(value, default=str, sort_keys=True))


def synth(args: argparse.Namespace) -> int:
    from workers.synth.archive import make_archive

    archive = make_archive(
        args.out_dir, seed=args.seed, people=args.people, docs=args.docs, noise=args.noise
    )
    print(
        f"wrote {len(archive.expected)} manifest rows to {archive.manifest_path}", file=sys.stderr
    )
    written = {
        "manifest": str(archive.manifest_path),
        "people": str(archive.people_path),
        "expected": str(archive.expected_path),
        "rows": len(archive.expected),
    }
    if archive.truth_path is not None and archive.people_truth_path is not None:
        written |= {
            "truth": str(archive.truth_path),
            "people_truth": str(archive.people_truth_path),
        }
    _print_json(written)
    return 0


def load(args: argparse.Namespace) -> int:
    from workers.load import load_archive

    if args.check:
        return _check_load(args)
    if args.via == "celery":
        from workers.celery_load import load_via_celery

        summary = load_via_celery(
            get_settings(),
            manifest=args.manifest,
            people=args.people,
            mapping_path=args.mapping,
            batch=args.batch,
            detach=args.detach,
            progress=not args.quiet,
        )
        _warn_counts(summary)
        _print_json(summary)
        return 0 if summary.get("unaccounted", 0) == 0 else 1
    summary = load_archive(
        get_settings(),
        manifest=args.manifest,
        people=args.people,
        mapping_path=args.mapping,
        workers=args.workers,
        batch=args.batch,
        progress=not args.quiet,
        render=args.render,
        learn_types=args.learn_types,
    )
    _warn_counts(summary)
    _print_json(summary)
    return 0 if summary["unaccounted"] == 0 else 1


def _check_load(args: argparse.Namespace) -> int:
    """`escr load --check`: the report on stdout; exit 1 if the load would refuse anything."""
    from workers.check import check_archive

    report = check_archive(
        manifest=args.manifest,
        people=args.people,
        mapping_path=args.mapping,
        examples=max(0, args.examples),
        home=get_settings().home,
    )
    if args.json:
        _print_json(report.as_json())
    else:
        print(report.as_text())
    return 0 if report.refused == 0 else 1


def _warn_counts(summary: dict[str, object]) -> None:
    """What the load went on in spite of, counted on stderr (the rows are in reconcile --rows)."""
    warnings = summary.get("warnings")
    if isinstance(warnings, dict):
        for code, count in sorted(warnings.items()):
            print(f"warning: {code}: {count} (escr load --check lists them)", file=sys.stderr)


def worker(args: argparse.Namespace) -> int:
    import os

    from workers.celery_app import configure, queue_name

    settings = ready()
    app = configure(settings)
    concurrency = args.concurrency or os.cpu_count() or 1
    app.conf.worker_concurrency = concurrency
    # Threads, not prefork: the parsing happens in the sandbox's own child processes, and one
    # sandbox pool per worker serves all its threads.
    app.worker_main(
        [
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--queues",
            ",".join(queue_name(settings, q.strip()) for q in args.queues.split(",")),
            "--hostname",
            args.name,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0


def reconcile(args: argparse.Namespace) -> int:
    settings = ready()
    with session_factory(settings.database_url)() as session:
        summary = reconcile_batch(session, args.batch)
        if args.rows:
            written = write_row_report(session, args.batch, args.rows)
            print(f"wrote {plural(written, 'row')} to {args.rows}", file=sys.stderr)
    if args.json:
        _print_json(summary)
    else:
        print_reconciliation(summary)
    return 0 if summary["unaccounted"] == 0 else 1


def batches(args: argparse.Namespace) -> int:
    """Load batches, newest first, as the migration console lists them (and audits the look)."""
    from records.consoles import batches as list_batches

    settings = ready()
    with session_factory(settings.database_url)() as session:
        found = list_batches(session, caller=_caller(), limit=args.limit)
        session.commit()
    if args.json:
        _print_json(found)
        return 0
    if not found:
        print("no batches yet: escr load MANIFEST --people PEOPLE starts one", file=sys.stderr)
        return 0
    width = max(len("batch"), *(len(b["batch"]) for b in found))
    print(f"{'batch':<{width}}  {'state':<11} {'rows':>7} {'done':>7}  {'started':<19}  finished")
    for b in found:
        print(
            f"{b['batch']:<{width}}  {b['status']:<11} {b['rows']:>7} {b['done']:>7}  "
            f"{b['started_at']:<19}  {b['finished_at'] or '-'}"
        )
    return 0


def search(args: argparse.Namespace) -> int:
    from indexer.factory import make_index

    settings = ready()
    query = SearchQuery(
        text=args.query,
        person_ids=tuple(args.person),
        doc_types=filters.doc_types(args.type),
        source_systems=tuple(args.source),
        limit=args.limit,
        facets=True,
    )
    with session_factory(settings.database_url)() as session:
        results = reads.search(session, make_index(settings), query, caller=_caller())
        session.commit()
    payload = reads.search_results_json(results)
    if args.json:
        _print_json(payload)
        return 0
    print(plural(results.total, "document"))
    styled = styled_output()
    for hit in results.hits:
        people = ",".join(hit.person_ids) or "(unlinked)"
        when = str(hit.document_date or "")
        title = CONTROL.sub(" ", hit.title)
        print(f"{hit.document_id:>7}  {hit.doc_type:<15} {when:<10}  {people:<20} {title}")
        for snippet in hit.highlights[:1]:
            print(f"         {terminal_snippet(snippet, styled)}")
    return 0


def show(args: argparse.Namespace) -> int:
    settings = ready()
    with session_factory(settings.database_url)() as session:
        metadata = reads.document_metadata(session, args.document_id, caller=_caller())
        text = (
            reads.document_text(session, args.document_id, caller=_caller()) if args.text else None
        )
        session.commit()
    if args.json:
        if text is not None:
            metadata["text"] = text
        _print_json(metadata)
        return 0
    for key, value in metadata.items():
        print(f"{key:<20} {terminal_text(str(value))}")
    if text is not None:
        print("\n" + terminal_text(text))
    return 0


def verify(args: argparse.Namespace) -> int:
    from storage.factory import make_blob_store

    settings = ready()
    with session_factory(settings.database_url)() as session:
        report = verify_blobs(session, make_blob_store(settings))
    _print_json(
        {
            "checked": report.checked,
            "ok": report.ok,
            "missing": report.missing,
            "mismatched": report.mismatched,
        }
    )
    return 0 if report.passed else 1


def reindex(args: argparse.Namespace) -> int:
    from workers.reindex import reindex_catalog

    settings = ready()
    count = reindex_catalog(settings, pending_only=args.pending)
    _print_json({"indexed": count})
    return 0


def serve(args: argparse.Namespace) -> int:
    return serve_web(args.host, args.port)


def demo(args: argparse.Namespace) -> int:
    from cli.demo import run

    return run(args)
