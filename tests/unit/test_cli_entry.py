"""The `escr` entry module stays light: every sandbox child runs it again as its __main__."""

from __future__ import annotations

import subprocess
import sys

# What the commands import; a child that imported them spent half a second before its first file.
HEAVY = ("sqlalchemy", "fastapi", "catalog.db", "retention.disposal", "tantivy")


def test_importing_the_entry_module_imports_no_command() -> None:
    probe = f"import sys, cli.main; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_parser_still_knows_every_command_group() -> None:
    from cli.main import _parser

    help_text = _parser().format_help()
    for command in ("load", "reconcile", "search", "retention", "hold", "grant"):
        assert command in help_text
