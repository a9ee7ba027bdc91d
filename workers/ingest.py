"""Ingest: find the file a manifest row names, read it once, and store it by content."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from core.files import private_opener
from core.states import Reason
from domain.values import control_character
from storage.base import BlobStore, content_key
from storage.local import LocalBlobStore
from workers.extract.base import ExtractionResult
from workers.filetype import MAGIC_BYTES, SNIFF_BYTES, detect_bytes, extension_mismatch
from workers.sources.mapping import Mapping

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Quarantined:
    """Why a row cannot go further (`reason` a core.states.Reason), as a value: what lists of
    files and results carry. Not the exception itself: an exception kept in a list has no
    traceback that means anything there, and does not pickle back from a sandbox child."""

    reason: Reason
    detail: str


class Quarantine(Exception):
    """Raised where finding or reading a file ends its row; only ever raised, never kept.
    Callers keep its `outcome` (`except Quarantine as q: found.append(q.outcome)`)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.outcome = Quarantined(reason, detail)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime: str
    key: str
    original_name: str
    extension_mismatch: bool


def _normalise(file_path: str, mapping: Mapping) -> str:
    text = file_path.strip().replace("\\", "/")
    for prefix in mapping.strip_path_prefixes:
        norm = prefix.replace("\\", "/")
        if text.lower().startswith(norm.lower()):
            text = text[len(norm) :]
            break
    return text


def _folded(name: str) -> str:
    """A name as the case-insensitive lookup compares it: lower case and composed (NFC), as
    files copied from a Mac keep accents decomposed (NFD) where a manifest composes them."""
    return unicodedata.normalize("NFC", name.lower())


@lru_cache(maxsize=1024)
def _listing(folder: str) -> dict[str, str]:
    try:
        return {_folded(name): name for name in os.listdir(folder)}
    except OSError:
        return {}


def _case_insensitive(root: Path, parts: tuple[str, ...]) -> Path | None:
    current = root
    for part in parts:
        real = _listing(str(current)).get(_folded(part))
        if real is None:
            return None
        current = current / real
    return current


def resolve_path(
    archive_root: Path, file_path: str, mapping: Mapping, real_folders: dict[str, str] | None = None
) -> Path:
    """The file on disk for a manifest path, never outside the archive folder.

    Links are followed, in folders and in the file itself, before the check. `real_folders`
    caches each folder's real path across a list of files: resolving the whole path component
    by component cost more than the rest of finding the file (thousands of files a second).

    A control character is refused before any OS call sees the path: a NUL raises ValueError
    in every one of them (a row registered before the manifest was checked for them).

    A path not found that holds percent escapes ("Person%201/letter.pdf", as web-based stores
    export their links) is looked for decoded, under the same rules."""
    try:
        return _resolve_path(archive_root, file_path, mapping, real_folders)
    except Quarantine as missing:
        if missing.outcome.reason != Reason.MISSING_FILE or "%" not in file_path:
            raise
        decoded = unquote(file_path)
        if decoded == file_path or control_character(decoded) is not None:
            raise
        try:
            return _resolve_path(archive_root, decoded, mapping, real_folders)
        except Quarantine as again:
            if again.outcome.reason == Reason.PATH_ESCAPE:
                raise
            raise missing from None


def _resolve_path(
    archive_root: Path, file_path: str, mapping: Mapping, real_folders: dict[str, str] | None
) -> Path:
    controls = control_character(file_path)
    if controls is not None:
        raise Quarantine(Reason.BAD_ROW, f"file_path holds control character {controls}")
    text = _normalise(file_path, mapping)
    if PurePosixPath(text).is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise Quarantine(
            Reason.PATH_ESCAPE,
            f"absolute path {file_path!r}: name the old server's or drive's prefix in the "
            "mapping's strip_path_prefixes to read it under the archive folder",
        )
    cache = real_folders if real_folders is not None else {}

    def real(path: str) -> str:
        if path not in cache:
            cache[path] = os.path.realpath(path)
        return cache[path]

    root = real(str(archive_root))
    candidate, found = _real_file(os.path.join(root, text), real)
    if not _inside(candidate, root):
        raise Quarantine(Reason.PATH_ESCAPE, f"{file_path!r} resolves outside the archive")
    if found is None and mapping.case_insensitive_paths:
        matched = _case_insensitive(Path(root), PurePosixPath(text).parts)
        if matched is not None:
            candidate, found = _real_file(str(matched), real)
            if not _inside(candidate, root):
                raise Quarantine(Reason.PATH_ESCAPE, f"{file_path!r} resolves outside the archive")
    if found is None:
        raise Quarantine(Reason.MISSING_FILE, f"{file_path!r} is not in the archive")
    # A FIFO or device would block or never end; only plain files are documents.
    if not stat.S_ISREG(found.st_mode):
        raise Quarantine(Reason.MISSING_FILE, f"{file_path!r} is not a regular file")
    return Path(candidate)


def _real_file(path: str, real: Callable[[str], str]) -> tuple[str, os.stat_result | None]:
    """The real path of `path` (its folder's links resolved through `real`, then its own), with
    its stat, or None where nothing is there."""
    folder, name = os.path.split(path)
    candidate = real(path) if name in ("", ".", "..") else os.path.join(real(folder), name)
    try:
        found = os.lstat(candidate)
        if stat.S_ISLNK(found.st_mode):  # the file itself is a link
            candidate = os.path.realpath(candidate)
            found = os.stat(candidate)
    except FileNotFoundError:  # nothing there, or a link to nothing
        return candidate, None
    return candidate, found


def _inside(path: str, root: str) -> bool:
    return path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class Spooled:
    """A file read once into a private spool file, with what reading it found."""

    sha256: str
    size: int
    mime: str
    original_name: str
    extension_mismatch: bool
    spool: str  # "" where `stored`
    stored: bool = False  # already in the (local) blob store under its content key
    # The text, where it was asked for with the read and needed no OCR (docs/decisions/0013).
    extraction: ExtractionResult | None = None


@dataclass
class SpoolResult:
    """spool_file's outcome, as a sandbox child sends it back (the Quarantine exception does
    not pickle: it is caught in the child and sent as a reason and detail)."""

    ok: bool
    file: Spooled | None = None
    reason: str | None = None
    detail: str = ""
    # The child died or ran out of time on a list of files: which file did it is not known.
    whole_job: bool = False

    def spooled(self) -> Spooled | Quarantined:
        if self.ok and self.file is not None:
            return self.file
        return Quarantined(Reason(self.reason or Reason.INTERNAL_ERROR), self.detail)


def spool_prefix(pid: int) -> str:
    """How the spool files of process `pid` are named: a child killed while copying a file
    leaves a part of it, which its parent finds by this name and removes."""
    return f"ingest-{pid}-"


def spool_file(path: Path, tmp_dir: Path, store: LocalBlobStore | None = None) -> Spooled:
    """Read the file once: hash it while copying it to a spool file, then detect its type.

    With a local `store`, the spool file is written in the store's staging folder and moved
    into place under its content key: one file created per document, and the parent process
    never handles the bytes (docs/decisions/0013)."""
    folder = store.staging if store is not None else tmp_dir
    if store is None:  # the store made its staging folder; a mkdir per file cost 0.1 ms
        folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head, tail = bytearray(), b""  # for libmagic: typed from memory, not by opening the file
    # Strings, not pathlib: at thousands of files a second its parsing showed in profiles.
    spool = os.path.join(folder, f"{spool_prefix(os.getpid())}{os.urandom(16).hex()}")
    try:
        # The source unbuffered: one read(2) of the whole of a letter, where a buffered reader
        # asked in 8 KiB pieces, and asked the terminal (isatty) and the offset (lseek) first.
        with (
            open(path, "rb", buffering=0) as source,
            open(spool, "wb", opener=private_opener) as target,
        ):
            # Reads sized to the file: a 1 MiB read buffer for a 2 KiB letter cost more than
            # reading it. The loop still reads to the end if the file grows meanwhile, in 1 MiB
            # reads once a read fills its size; the read that finds the end asks no more.
            step = min(_CHUNK, os.fstat(source.fileno()).st_size + 1)
            while chunk := source.read(step):
                digest.update(chunk)
                target.write(chunk)
                size += len(chunk)
                if len(head) < MAGIC_BYTES:
                    head += chunk[: MAGIC_BYTES - len(head)]
                tail = (tail + chunk)[-SNIFF_BYTES:]
                if len(chunk) == step:
                    step = _CHUNK
        if size == 0:
            raise Quarantine(Reason.EMPTY_FILE, "the file has zero bytes")
        mime = detect_bytes(bytes(head), tail, describe=False).mime
        sha256 = digest.hexdigest()
        if store is not None:
            try:
                store.adopt(content_key(sha256), Path(spool))
            except OSError as exc:
                raise Quarantine(Reason.MISSING_FILE, f"cannot store: {exc.strerror}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spool)
        raise
    return Spooled(
        sha256=sha256,
        size=size,
        mime=mime,
        original_name=path.name,
        extension_mismatch=extension_mismatch(path.name, mime),
        spool="" if store is not None else spool,
        stored=store is not None,
    )


def spool_result(path: Path, tmp_dir: Path, store: LocalBlobStore | None = None) -> SpoolResult:
    """spool_file with its Quarantine and read errors as a result (for a sandbox child)."""
    try:
        return SpoolResult(ok=True, file=spool_file(path, tmp_dir, store))
    except Quarantine as q:
        return SpoolResult(ok=False, reason=q.outcome.reason.value, detail=q.outcome.detail)
    except OSError as exc:
        return SpoolResult(
            ok=False, reason=Reason.MISSING_FILE.value, detail=f"cannot read: {exc.strerror}"
        )


def store_spooled(spooled: Spooled, store: BlobStore) -> StoredFile:
    """Store a spooled file by content (unless spool_file did); the spool file goes."""
    key = content_key(spooled.sha256)
    if not spooled.stored:
        try:
            store.put_file(key, Path(spooled.spool))
        finally:
            Path(spooled.spool).unlink(missing_ok=True)
    return StoredFile(
        sha256=spooled.sha256,
        size=spooled.size,
        mime=spooled.mime,
        key=key,
        original_name=spooled.original_name,
        extension_mismatch=spooled.extension_mismatch,
    )


def store_file(path: Path, store: BlobStore, tmp_dir: Path) -> StoredFile:
    """Read the file once (hash while spooling), detect its type, store it by content."""
    return store_spooled(spool_file(path, tmp_dir), store)


@contextmanager
def scratch_folder(base: Path) -> Iterator[Path]:
    """A private temp folder for one load under `base`, removed with all in it at the end.
    Named by the loader's process ID, so the next load removes one a SIGKILL left behind."""
    base.mkdir(parents=True, exist_ok=True)
    for stale in _left_by_the_dead(base, "load-"):
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"load-{os.getpid()}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_spools(staging: Path) -> None:
    """Remove the part-read spool files of processes that are gone: a load killed with SIGKILL
    takes its sandbox children with it before anyone can tidy up after them."""
    for stale in _left_by_the_dead(staging, "ingest-"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def _left_by_the_dead(folder: Path, prefix: str) -> Iterator[Path]:
    """Entries named `<prefix><pid>-...` whose process no longer runs."""
    for entry in folder.glob(f"{prefix}*"):
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            yield entry


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
