"""The members of a 7z (py7zr), pushed by py7zr into workers.extract.unpack's writers: py7zr
decompresses a solid block as a whole, so it writes, and the Unpacker checks each chunk."""

from __future__ import annotations

from pathlib import PurePosixPath

import py7zr
from py7zr.io import Py7zIO, WriterFactory

from core.states import Reason
from workers.extract.base import ExtractionResult
from workers.extract.failures import ExtractionFailed
from workers.extract.unpack import MemberWriter, Unpacker


def unpack_7z(archive: py7zr.SevenZipFile, unpack: Unpacker) -> ExtractionResult:
    """Every regular member of `archive`; links listed, names that climb out listed."""
    files = [entry for entry in archive.list() if not entry.is_directory]
    unpack.expect(len(files), sum(entry.uncompressed or 0 for entry in files))
    if archive.needs_password():
        raise ExtractionFailed(Reason.ENCRYPTED, f"{len(files)} members need a password")
    wanted = []
    for entry in files:
        if entry.is_symlink:
            unpack.skip(entry.filename, "symbolic link")
        elif not entry.is_file:
            unpack.skip(entry.filename, "special file")
        elif _climbs_out(entry.filename):
            # py7zr refuses such a name; the member is listed, not unpacked.
            unpack.skip(entry.filename, "name leads outside the archive")
        else:
            wanted.append(entry.filename)
    if wanted:
        archive.extract(targets=wanted, factory=_Factory(unpack))
    return unpack.result("7z")


def _climbs_out(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts


class _Factory(WriterFactory):
    def __init__(self, unpack: Unpacker) -> None:
        self.unpack = unpack

    def create(self, filename: str) -> Py7zIO:
        return _Member(self.unpack.writer(filename))


class _Member(Py7zIO):
    """A member's file as py7zr wants to write it: write only, checked chunk by chunk."""

    def __init__(self, writer: MemberWriter) -> None:
        self.writer = writer

    def write(self, s: bytes | bytearray) -> int:
        return self.writer.write(bytes(s))

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.writer.written

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.writer.written

    def close(self) -> None:
        self.writer.close()
