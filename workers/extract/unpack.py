"""An archive's members written out as attachments, under the limits that refuse bombs.

One Unpacker per archive (ZIP, 7z, tar, gzip, mbox, TNEF, PST): it counts members and bytes
across the whole archive, since a bomb is many small members as often as one large one; it
checks what the archive declares before unpacking and what really comes out while unpacking,
chunk by chunk, never trusting a declared size alone; it names every file it writes itself, so
a member's name is never a path; and it keeps the listing that becomes the archive's own text.
Limits and why: docs/decisions/0025-containers.md.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from core.states import Reason
from workers.extract.base import Attachment, ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed

CHUNK = 1 << 20
# Below 16 MiB a member's ratio is not judged: that much of anything is harmless, and real files
# compress past any ratio: a blank page as an uncompressed BMP deflates ~370x, a repetitive
# text export 100-160x (docs/decisions/0025). Past it, 200 MiB of zeros is stopped at 20 MiB.
RATIO_FLOOR = 16 << 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def member_name(raw: str) -> str:
    """The name a member is kept under: its last path part, without control characters (a
    member named `../../etc/passwd` or `/etc/passwd` is kept as `passwd`)."""
    parts = [p.strip() for p in _CONTROL.sub("", raw).replace("\\", "/").split("/")]
    name = next((p for p in reversed(parts) if p not in ("", ".", "..")), "")
    return name[-255:]


def listed(raw: str) -> str:
    """A member's path as the archive's listing shows it: control characters removed."""
    return _CONTROL.sub("", raw)[:1000]


class Readable(Protocol):
    """What a member's bytes are read from: any stream with read(size)."""

    def read(self, size: int = ..., /) -> bytes: ...


class Unpacker:
    """Members of one archive, written to generated names under `tmp_dir`, within `limits`.
    Used as a context manager: an archive refused part way leaves no files behind."""

    def __init__(self, limits: Limits, tmp_dir: Path, packed_size: int) -> None:
        self.limits, self.tmp_dir, self.packed_size = limits, tmp_dir, packed_size
        self.max_bytes = limits.max_unpacked_mb * 2**20
        self.total = 0
        self.members = 0
        self.lines: list[str] = []
        self.damaged: list[str] = []
        self.attachments: list[Attachment] = []

    def __enter__(self) -> Unpacker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            for attachment in self.attachments:
                Path(attachment.path).unlink(missing_ok=True)

    def expect(self, members: int, declared_bytes: int) -> None:
        """Refuse before unpacking what the archive's directory itself declares too much of."""
        self._check_count(members)
        self._check_bytes("the members together", declared_bytes, None)

    def declare(self, name: str, size: int, packed: int) -> None:
        """Refuse before unpacking a member whose declared size is past the limits."""
        self._check_bytes(name, size, packed)

    def add(self, name: str, stream: Readable, packed: int | None = None) -> None:
        """Copy one member from `stream` in chunks, refusing it (and so the archive) as soon as
        it passes the total, or `max_member_ratio` times its `packed` size."""
        with self.writer(name, packed) as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)

    def writer(self, name: str, packed: int | None = None) -> MemberWriter:
        """A member's file to write chunk by chunk (for readers that push their bytes)."""
        self._check_count(self.members + 1)
        handle, target = tempfile.mkstemp(prefix="member-", dir=self.tmp_dir)
        attachment = Attachment(name=member_name(name), path=target)
        self.attachments.append(attachment)
        self.members += 1
        return MemberWriter(self, attachment, name, packed, os.fdopen(handle, "wb"))

    def add_bytes(self, name: str, data: bytes) -> None:
        """A member already in memory (a message of an mbox, an attachment of a TNEF)."""
        with self.writer(name) as out:
            out.write(data)

    def add_encrypted(self, name: str, size: int, write: Callable[[Path], None]) -> None:
        """A member that needs a password: `write` puts its still-encrypted bytes in a file of
        their own, which becomes a child document quarantined as encrypted."""
        self._check_count(self.members + 1)
        self._check_bytes(name, size, None)
        handle, target = tempfile.mkstemp(prefix="member-", dir=self.tmp_dir)
        os.close(handle)
        self.attachments.append(
            Attachment(
                name=member_name(name),
                path=target,
                reason=Reason.ENCRYPTED.value,
                detail="member of a password-protected archive",
            )
        )
        self.members += 1
        write(Path(target))
        self.total += size
        self.lines.append(f"{listed(name)} (encrypted)")

    def skip(self, name: str, why: str) -> None:
        """A member not unpacked (a link, a device): listed, never followed or created."""
        self._check_count(self.members + 1)
        self.members += 1
        self.lines.append(f"{listed(name)} (skipped: {why})")

    def damage(self, name: str, why: str) -> None:
        """A member that could not be unpacked: listed, and named in the archive's detail."""
        self.skip(name, f"damaged: {why}"[:200])
        self.damaged.append(listed(name)[:100])

    def result(self, engine: str) -> ExtractionResult:
        """The archive's extraction: its listing as its text, its members as attachments."""
        detail = ""
        if self.damaged:
            detail = f"{len(self.damaged)} members could not be unpacked: " + ", ".join(
                self.damaged[:5]
            )
        return ExtractionResult(
            ok=True,
            text="\n".join(self.lines),
            engine=engine,
            attachments=self.attachments,
            detail=detail[:500],
        )

    def _check_count(self, members: int) -> None:
        if members > self.limits.max_members:
            raise ExtractionFailed(
                Reason.TOO_LARGE, f"more than {self.limits.max_members:,} members"
            )

    def _check_bytes(self, name: str, written: int, packed: int | None) -> None:
        total = self.total + written
        if total > self.max_bytes:
            raise ExtractionFailed(
                Reason.TOO_LARGE,
                f"members unpack past {self.limits.max_unpacked_mb} MiB at {listed(name)[:100]}",
            )
        ratio = self.limits.max_member_ratio
        member_bomb = packed is not None and written > max(RATIO_FLOOR, packed * ratio)
        archive_bomb = total > max(RATIO_FLOOR, self.packed_size * ratio)
        if member_bomb or archive_bomb:
            raise ExtractionFailed(
                Reason.TOO_LARGE,
                f"{listed(name)[:100]} unpacks to more than {ratio}x its packed size",
            )


class MemberWriter:
    """One member's file being written; every chunk is checked against the limits first."""

    def __init__(
        self,
        unpack: Unpacker,
        attachment: Attachment,
        name: str,
        packed: int | None,
        out: IO[bytes],
    ) -> None:
        self.unpack, self.attachment, self.name = unpack, attachment, name
        self.packed, self.out = packed, out
        self.written = 0

    def __enter__(self) -> MemberWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
        else:  # a member cut short is not kept half written
            self.out.close()
            Path(self.attachment.path).unlink(missing_ok=True)
            self.unpack.attachments.remove(self.attachment)
            self.unpack.members -= 1

    def write(self, chunk: bytes) -> int:
        self.unpack._check_bytes(self.name, self.written + len(chunk), self.packed)
        self.written += len(chunk)
        return self.out.write(chunk)

    def close(self) -> None:
        if not self.out.closed:
            self.out.close()
            self.unpack.total += self.written
            self.unpack.lines.append(f"{listed(self.name)} ({self.written:,} bytes)")
