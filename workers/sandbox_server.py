"""The sandbox's forkserver: the process its children are forked from, with the parsers
already imported, so a child starts in milliseconds instead of a fresh interpreter's imports.

Light on purpose (the standard library only): `escr load` starts it as its first act, before
the ~0.5 s of its own imports, so that its ~0.4 s of preloading runs on the other core
meanwhile; started with the pool instead, the children were ready only after the manifest had
been registered, and the first files waited for them (docs/decisions/0050)."""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver

CONTEXT = multiprocessing.get_context("forkserver")
# The parsers' modules (PDFium, lxml, Pillow, python-docx: ~0.2 s of imports) are imported when
# a file is first parsed, not by the loader: it imports workers.extract.registry for the
# page-range helpers and never parses a file itself. The forkserver preloads them, so its
# children do not import them once each.
PARSER_MODULES = (
    "workers.extract.pdf",
    "workers.extract.office",
    "workers.extract.text",
    "workers.extract.mail",
    "workers.extract.ocr",
    "workers.extract.legacy_office",
    "workers.extract.containers",
    "workers.extract.mailboxes",
)
# Not extract_msg (0.18 s of the forkserver's 0.37 s of imports, before any child can start):
# a child imports it with its first Outlook message, once in its life (docs/decisions/0015).
PRELOAD = [
    "workers.quick_exit",  # first: its exit handler runs last, after every other one
    "workers.extract.registry",
    *PARSER_MODULES,
    "PIL.Image",
    "workers.ingest",
    "workers.extract.signals",  # and with it workers.type_model, numpy
]


def start() -> None:
    """Start the forkserver now, if it is not running (it ends with this process)."""
    CONTEXT.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
