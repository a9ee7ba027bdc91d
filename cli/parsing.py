"""The one layout of an `escr` subcommand: help, description, and a --help that ends in
examples. Its own module so every command module can use it without importing cli.main
(which imports them all)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


def command(
    sub: Any, name: str, help_text: str, examples: Sequence[str] = ()
) -> argparse.ArgumentParser:
    """A subcommand whose `--help` ends in examples, laid out as written."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples) if examples else None
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
