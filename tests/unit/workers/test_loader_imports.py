"""The loader process imports no file parser: it never parses a file (its sandbox children
do), and their imports were ~0.2 s of every `escr load`'s start (docs/decisions/0023)."""

from __future__ import annotations

import subprocess
import sys

from workers.sandbox_server import PARSER_MODULES, PRELOAD

PARSERS = ("pypdfium2", "lxml.etree", "PIL.Image", "docx", *PARSER_MODULES)


def test_the_loader_imports_no_parser() -> None:
    probe = (
        "import sys, cli.main; cli.main._parser(); import workers.load, workers.local_runner; "
        f"print([m for m in {PARSERS!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_sandbox_children_still_start_with_every_parser() -> None:
    assert set(PARSER_MODULES) <= set(PRELOAD)


def test_escr_load_starts_the_sandbox_forkserver_before_its_own_imports() -> None:
    probe = (
        "import sys, cli.main, workers.sandbox_server as server\n"
        "seen = []\n"
        "real = server.start\n"
        "def start():\n"
        "    seen.append('sqlalchemy' in sys.modules)\n"
        "    real()\n"
        "server.start = start\n"
        "sys.argv = ['escr', 'load', '/none/m.csv', '--people', '/none/p.csv']\n"
        "code = cli.main.main()\n"
        "from multiprocessing import forkserver\n"
        "print(code, seen, forkserver._forkserver._forkserver_pid is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Refused (no such manifest), but the forkserver was started first, before SQLAlchemy.
    assert done.stdout.split("\n")[0] == "2 [False] True"
