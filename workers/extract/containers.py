"""Archives become documents: ZIP (stdlib zipfile), tar and compressed tar (tarfile), a single
gzip, bzip2 or xz stream, and 7z (py7zr). Each member is written out by workers.extract.unpack
under the bomb limits and returned as an attachment, to become a child document as an email's
attachment does; the archive's own text is the listing of its members.
"""

from __future__ import annotations

import bz2
import copy
import gzip
import io
import lzma
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.unpack import Unpacker

# What a damaged member of a ZIP raises (bad CRC, unknown compression method, cut short).
_MEMBER_ERRORS = (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError)


def extract_zip(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """The members of a ZIP; a member that needs a password becomes a one-member ZIP of its
    own, still encrypted, quarantined as such."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractionFailed(Reason.CORRUPT, f"not a readable ZIP: {exc}"[:200]) from exc
    with archive, Unpacker(limits, tmp_dir, path.stat().st_size) as unpack:
        members = [info for info in archive.infolist() if not info.is_dir()]
        unpack.expect(len(members), sum(info.file_size for info in members))
        ends = _entry_ends(archive)
        for info in members:
            if info.flag_bits & 0x1:
                end = ends[info.header_offset]
                unpack.add_encrypted(
                    info.filename,
                    end - info.header_offset,
                    lambda target, i=info, e=end: _lone_entry(archive, i, e, target),  # type: ignore[misc]
                )
            elif stat.S_ISLNK(info.external_attr >> 16):
                unpack.skip(info.filename, "symbolic link")
            else:
                unpack.declare(info.filename, info.file_size, info.compress_size)
                try:
                    with archive.open(info) as stream:
                        unpack.add(info.filename, stream, info.compress_size)
                except _MEMBER_ERRORS as exc:
                    unpack.damage(info.filename, str(exc))
        return unpack.result("zip")


def _entry_ends(archive: zipfile.ZipFile) -> dict[int, int]:
    """Where each entry's bytes (local header, data, descriptor) end: the next entry's start,
    or the central directory's."""
    starts = sorted({info.header_offset for info in archive.infolist()})
    if not starts:  # an empty ZIP (mammoth's tests have one): nothing to end
        return {}
    directory = int(getattr(archive, "start_dir", starts[-1]))
    return dict(zip(starts, [*starts[1:], directory], strict=True))


def _lone_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, end: int, target: Path) -> None:
    """A ZIP holding only `info`'s entry, copied byte for byte (still encrypted): what a person
    with the password can open. zipfile writes the central directory for the entry it is given."""
    assert archive.fp is not None
    archive.fp.seek(info.header_offset)
    raw = archive.fp.read(max(0, end - info.header_offset))
    with zipfile.ZipFile(target, "w") as lone:
        assert lone.fp is not None
        lone.fp.write(raw)
        entry = copy.copy(info)
        entry.header_offset = 0
        lone.filelist.append(entry)
        lone.NameToInfo[entry.filename] = entry
        lone.start_dir = lone.fp.tell()  # type: ignore[attr-defined]


def extract_tar(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """The regular files of a tar (plain or gzip, bzip2, xz compressed), read as a stream;
    links and devices are listed, never followed or made."""
    with _open_tar(path) as archive, Unpacker(limits, tmp_dir, path.stat().st_size) as unpack:
        for member in archive:
            if member.isdir():
                continue
            if not member.isfile():
                unpack.skip(member.name, _kind(member))
                continue
            unpack.expect(unpack.members + 1, unpack.total + member.size)
            stream = archive.extractfile(member)
            if stream is not None:
                unpack.add(member.name, stream)
        return unpack.result("tar")


def _open_tar(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:*")
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise ExtractionFailed(Reason.CORRUPT, f"not a readable tar: {exc}"[:200]) from exc


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return f"symbolic link to {member.linkname[:100]}"
    if member.islnk():
        return f"hard link to {member.linkname[:100]}"
    return "device, pipe or other special file"


def extract_compressed(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """A gzip, bzip2 or xz file: a compressed tar's members, or else its one stream, named as
    the gzip header names it (else after the file it came in, by the caller)."""
    with path.open("rb") as raw:
        head = raw.read(512)
    if _holds_tar(path, head):
        return extract_tar(path, limits, tmp_dir)
    gzipped = head.startswith(b"\x1f\x8b")
    name = _gzip_name(head) if gzipped else ""
    with (
        _open_stream(path, head) as stream,
        Unpacker(limits, tmp_dir, path.stat().st_size) as unpack,
    ):
        try:
            unpack.add(name, stream)
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
            raise ExtractionFailed(Reason.CORRUPT, f"stream cut short: {exc}"[:200]) from exc
        return unpack.result("gzip" if gzipped else "compressed")


def _holds_tar(path: Path, head: bytes) -> bool:
    """Whether the stream starts with a valid tar header (checksum and all): a stream that
    starts with zeros is not an empty tar."""
    try:
        with _open_stream(path, head) as stream:
            block = stream.read(tarfile.BLOCKSIZE)
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except (tarfile.HeaderError, OSError, EOFError, zlib.error, lzma.LZMAError):
        return False
    return True


def _open_stream(path: Path, head: bytes) -> io.BufferedIOBase:
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(path)
    if head.startswith(b"BZh"):
        return bz2.BZ2File(path)
    return lzma.LZMAFile(path)


def _gzip_name(head: bytes) -> str:
    """The original file name a gzip header carries (FNAME, RFC 1952), or ''."""
    flags, at = head[3], 10
    if flags & 0x04 and len(head) >= 12:  # FEXTRA
        at += 2 + int.from_bytes(head[10:12], "little")
    if not flags & 0x08:
        return ""
    end = head.find(b"\x00", at)
    return head[at:end].decode("latin-1") if end > at else ""


def extract_7z(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """The members of a 7z. An encrypted 7z ends `encrypted` whole: its members sit in
    compressed blocks that cannot be cut apart without the password."""
    import py7zr  # with the parsers, not in the loader

    from workers.extract.sevenzip import unpack_7z

    try:
        archive = py7zr.SevenZipFile(path)
    except py7zr.PasswordRequired as exc:
        raise ExtractionFailed(Reason.ENCRYPTED, "the archive's directory is encrypted") from exc
    except (py7zr.Bad7zFile, py7zr.UnsupportedCompressionMethodError, EOFError) as exc:
        raise ExtractionFailed(Reason.CORRUPT, f"not a readable 7z: {exc}"[:200]) from exc
    with archive, Unpacker(limits, tmp_dir, path.stat().st_size) as unpack:
        return unpack_7z(archive, unpack)
