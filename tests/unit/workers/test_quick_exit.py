"""The sandbox's forkserver ends without tearing down what it preloaded (workers/quick_exit.py):
it kept the loader's stdout and stderr open ~0.3 s after the loader had ended."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workers.sandbox_server import PRELOAD

_SCRIPT = """
import multiprocessing, sys
context = multiprocessing.get_context("forkserver")
context.set_forkserver_preload({preload!r})
if __name__ == "__main__":
    child = context.Process(target=sys.exit, args=(3,))
    child.start()
    child.join()
    from multiprocessing import forkserver
    print(child.exitcode, forkserver._forkserver._forkserver_pid)
"""
_REPO = Path(__file__).resolve().parents[3]


def _run(tmp_path: Path, preload: list[str]) -> tuple[int, str]:
    """(the child's exit code, what the forkserver's teardown wrote) once it has ended."""
    marker = tmp_path / "torn-down"
    env = os.environ | {"ESCR_TEST_TEARDOWN_MARKER": str(marker), "PYTHONPATH": str(_REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(preload=preload)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    exitcode, server = map(int, done.stdout.split())
    deadline = time.monotonic() + 30
    while Path(f"/proc/{server}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # orphaned when its parent ended: not ours to wait for
    assert not Path(f"/proc/{server}").exists()
    return exitcode, marker.read_text() if marker.exists() else ""


def test_the_forkserver_ends_without_its_teardown_and_children_keep_their_exit_codes(
    tmp_path: Path,
) -> None:
    assert PRELOAD[0] == "workers.quick_exit"
    exitcode, torn_down = _run(
        tmp_path, ["workers.quick_exit", "tests.unit.workers.teardown_marker"]
    )
    assert exitcode == 3
    assert torn_down == ""


@pytest.mark.parametrize("preload", [["tests.unit.workers.teardown_marker"]])
def test_without_it_the_forkserver_tears_down_what_it_preloaded(
    tmp_path: Path, preload: list[str]
) -> None:
    exitcode, torn_down = _run(tmp_path, preload)
    assert exitcode == 3
    assert torn_down.strip()  # the test above can fail
