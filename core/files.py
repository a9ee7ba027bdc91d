"""Files and folders only the service's own user may read: the catalog, the blobs, the index
and the keys hold children's records, and a shared machine's other accounts must not."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(path: Path) -> Path:
    """Make the folder (its parents as the umask says), or tighten one made before."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    tighten(path, PRIVATE_FOLDER)
    return path


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Take group and other rights off a file or folder of ours that has them (an install made
    before escr set its modes). Another user's file is left as its owner set it."""
    with contextlib.suppress(FileNotFoundError):
        found = os.stat(path)
        if stat.S_IMODE(found.st_mode) & 0o077 and found.st_uid == os.getuid():
            os.chmod(path, mode)


def private_opener(path: str, flags: int) -> int:
    """An `opener` for open(): a file it creates is 0600 whatever the umask."""
    return os.open(path, flags, PRIVATE_FILE)
