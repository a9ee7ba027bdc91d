"""The loader process imports no file parser: it never parses a file (its sandbox children
do), and their imports were ~0.2 s of every `escr load`'s start (docs/decisions/0023)."""

from __future__ import annotations

import subprocess
import sys

from workers import sandbox
from workers.extract.registry import PARSER_MODULES

PARSERS = ("pypdfium2", "lxml.etree", "PIL.Image", "docx", *PARSER_MODULES)


def test_the_loader_imports_no_parser() -> None:
    probe = (
        "import sys, cli.main; cli.main._parser(); import workers.load, workers.local_runner; "
        f"print([m for m in {PARSERS!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_sandbox_children_still_start_with_every_parser() -> None:
    assert set(PARSER_MODULES) <= set(sandbox._PRELOAD)
