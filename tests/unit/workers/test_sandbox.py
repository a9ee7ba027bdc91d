"""Hostile and defective files through SandboxPool: each ends with a definite reason, in bounded
time, and the pool keeps serving afterwards."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.states import Reason
from storage.base import content_key
from storage.local import LocalBlobStore
from tests.factories import hostile
from workers.attachments import discard_files
from workers.extract.base import ExtractionResult, Limits, PageRange
from workers.filetype import detect
from workers.ingest import Quarantined, Spooled, SpoolResult, spool_result
from workers.sandbox import (
    TEXT_WITH_READ_MAX_BYTES,
    ExtractRequest,
    RulesMessage,
    SandboxPool,
    SpoolRequest,
    extract_in_sandbox,
    spooled,
    spooler,
)

# Small enough that the bombs hit the limits fast; large enough for PDFium and Tesseract.
LIMITS = Limits(timeout_s=30, memory_mb=512, max_image_pixels=50_000_000)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxPool]:
    with SandboxPool(2, LIMITS, tmp_path_factory.mktemp("sandbox")) as sandbox:
        yield sandbox


def _through(pool: SandboxPool, path: Path, mime: str | None = None) -> ExtractionResult:
    return pool.submit(str(path), mime or detect(path).mime).result(timeout=60)


def _assert_pool_still_serves(pool: SandboxPool, tmp_path: Path) -> None:
    path = tmp_path / "after.txt"
    path.write_text("still serving")
    result = _through(pool, path)
    assert (result.ok, result.text) == (True, "still serving")


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated_pdf": (hostile.truncated_pdf, "corrupt"),
    "encrypted_pdf": (hostile.encrypted_pdf, "encrypted"),
    "looping_pdf": (hostile.looping_pdf, "corrupt"),
    # PDFium inflates the stream until RLIMIT_AS stops it and it aborts.
    "flate_bomb_pdf": (hostile.flate_bomb_pdf, "memory_limit"),
    "huge_png": (hostile.huge_png, "too_large"),
    "zero_byte": (hostile.zero_byte, "empty_file"),
    "zip_bomb_docx": (hostile.zip_bomb_docx, "too_large"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_ends_with_its_reason(name: str, pool: SandboxPool, tmp_path: Path) -> None:
    build, reason = HOSTILE[name]
    path = build(tmp_path)
    started = time.monotonic()
    result = _through(pool, path)
    assert (result.ok, result.reason) == (False, reason), result.detail
    assert time.monotonic() - started < LIMITS.timeout_s
    _assert_pool_still_serves(pool, tmp_path)


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_pdf_ends_definitely(seed: int, pool: SandboxPool, tmp_path: Path) -> None:
    result = _through(pool, hostile.fuzzed_pdf(tmp_path, seed))
    # Some flips land in harmless bytes and the text survives; the rest are refused as corrupt.
    # A flip in the header makes it no PDF at all, so no extractor claims it.
    assert result.reason in {None, "corrupt", "no_text", "unsupported_type"}, result.detail
    assert result.ok is (result.reason != "corrupt")


def test_pdf_named_doc_is_read_as_pdf(pool: SandboxPool, tmp_path: Path) -> None:
    result = _through(pool, hostile.pdf_named_doc(tmp_path))
    assert result.ok and "Misnamed letter text" in result.text


def test_html_external_entities_are_not_resolved(pool: SandboxPool, tmp_path: Path) -> None:
    result = _through(pool, hostile.xxe_html(tmp_path))
    assert result.ok and result.text == "Visit note &xxe; &net; ends here"
    assert "root:" not in result.text


def test_many_files_at_once_all_resolve(pool: SandboxPool, tmp_path: Path) -> None:
    paths = [hostile.looping_pdf(tmp_path), hostile.zero_byte(tmp_path)]
    for index in range(10):
        text = tmp_path / f"n{index}.txt"
        text.write_text(f"note {index}")
        paths.append(text)
    futures = [pool.submit(str(path), detect(path).mime) for path in paths]
    results = [future.result(timeout=60) for future in futures]
    assert [r.reason for r in results[:2]] == ["corrupt", "empty_file"]
    assert [r.text for r in results[2:]] == [f"note {index}" for index in range(10)]


_WORDS = ["home", "visit", "notes", "on", "the", "family", "and", "the", "plan", "agreed", "with",
          "their", "school"]  # fmt: skip


def _slow_tiff(tmp_path: Path, frames: int = 12) -> Path:
    """Pages of dense text: Tesseract reads each for over a second, so a one-second limit falls
    while a Tesseract runs. (With a word a page it ran a third of a second, and the limit often
    fell between pages, where a Tesseract left running by the kill would not have been seen.)"""
    font = ImageFont.load_default(size=28)
    images = []
    for n in range(frames):
        image = Image.new("L", (1600, 1200), 255)
        draw = ImageDraw.Draw(image)
        for row in range(30):
            line = " ".join(_WORDS[(n + row + k) % len(_WORDS)] for k in range(12))
            draw.text((40, 30 + row * 38), line, fill=0, font=font)
        images.append(image)
    path = tmp_path / "slow.tif"
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def _live_members(group: int) -> dict[int, str]:
    """Processes of a process group that are not zombies (orphaned zombies wait for PID 1), by
    PID, with their names."""
    live = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        name, fields = stat.rsplit(")", 1)
        state, _, pgrp = fields.split()[:3]
        if int(pgrp) == group and state != "Z":
            live[int(entry.name)] = name.split("(", 1)[1]
    return live


def _sent_sigkill(pid: int) -> bool:
    """Whether the process has been sent SIGKILL (or is gone): the signal stays in its pending
    sets (proc(5): SigPnd, ShdPnd) from the kill until it is reaped, through the exit that
    frees its memory, so a process without it was not killed."""
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return True
    pending = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    sigkill = 1 << (signal.SIGKILL - 1)
    return any(int(pending[key], 16) & sigkill for key in ("SigPnd", "ShdPnd"))


def _assert_group_killed(group: int, within_s: float = 10.0) -> None:
    """Every process of the group has been killed, and is gone within `within_s`.

    Checked once only, it flaked on a loaded machine: a killed Tesseract still freeing its
    memory (a few hundred ms when the cores are busy) is not yet a zombie. Waiting alone would
    be too lenient: a Tesseract the kill missed ends by itself once its page is read. So each
    process found right after the timeout must already carry the SIGKILL, then may take a while
    to go."""
    survivors = {pid: name for pid, name in _live_members(group).items() if not _sent_sigkill(pid)}
    assert survivors == {}, "not killed"
    deadline = time.monotonic() + within_s
    while (dying := _live_members(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dying == {}, f"killed, but not gone after {within_s}s"


def test_timeout_kills_child_and_tesseract(tmp_path: Path) -> None:
    limits = Limits(timeout_s=1.0, memory_mb=512)
    with SandboxPool(1, limits, tmp_path) as pool:
        _assert_pool_still_serves(pool, tmp_path)
        child = pool._workers[0]._process  # the child's pid is also its process group id
        assert child is not None and child.pid is not None
        slow = _slow_tiff(tmp_path)  # made before the clock starts: only the job is timed
        started = time.monotonic()
        result = _through(pool, slow, "image/tiff")
        assert (result.ok, result.reason) == (False, "timeout")
        assert time.monotonic() - started < 5
        # Nothing of the child's process group runs on, Tesseract included.
        _assert_group_killed(child.pid)
        _assert_pool_still_serves(pool, tmp_path)
    # Nor is anything of its files left: the page image it was reading went with its job's
    # scratch folder (a Celery worker's pool lives for days).
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["after.txt", "slow.tif"]


def test_attachments_live_in_their_job_folder_until_discarded(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "Referral"
    message.set_content("See the attached note.")
    message.add_attachment(b"note text", maintype="text", subtype="plain", filename="note.txt")
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())
    note = tmp_path / "note.txt"
    note.write_text("a case note")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with SandboxPool(1, LIMITS, scratch) as pool:
        result = _through(pool, path, "message/rfc822")
        [attachment] = result.attachments
        assert Path(attachment.path).read_bytes() == b"note text"
        assert list(scratch.iterdir()) == [Path(attachment.path).parent]
        discard_files(result.attachments)
        assert _through(pool, note, "text/plain").text == "a case note"
        # A job whose result hands over no files leaves no folder either.
        assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("sig", "reason", "detail"),
    [
        (signal.SIGSEGV, "corrupt", "parser crashed (signal 11)"),
        (signal.SIGKILL, "memory_limit", "parser aborted (signal 9) under the memory limit"),
    ],
)
def test_child_death_resolves_and_pool_recovers(
    sig: signal.Signals, reason: str, detail: str, tmp_path: Path
) -> None:
    with SandboxPool(1, Limits(timeout_s=30, memory_mb=512), tmp_path) as pool:
        _assert_pool_still_serves(pool, tmp_path)
        child = pool._workers[0]._process
        assert child is not None and child.pid is not None
        future = pool.submit(str(_slow_tiff(tmp_path)), "image/tiff")
        time.sleep(0.3)
        os.kill(child.pid, sig)
        result = future.result(timeout=10)
        assert (result.ok, result.reason, result.detail) == (False, reason, detail)
        _assert_pool_still_serves(pool, tmp_path)


def test_submit_after_close_is_refused(tmp_path: Path) -> None:
    pool = SandboxPool(1, LIMITS, tmp_path)
    pool.close()
    with pytest.raises(RuntimeError):
        pool.submit(str(tmp_path / "x"), "text/plain")


def test_the_childrens_requests_are_named_and_pickle() -> None:
    """What crosses the pipe to a child: named fields, the scratch folder added by replace."""
    extract = ExtractRequest("/a.pdf", "application/pdf", PageRange(2, 3, ocr=False))
    with_scratch = dataclasses.replace(extract, scratch="/tmp/escr-x")
    assert (extract.scratch, with_scratch.scratch, with_scratch.pages) == (
        "",
        "/tmp/escr-x",
        extract.pages,
    )
    for request in (with_scratch, SpoolRequest(["/a"], None, [True]), RulesMessage({})):
        assert pickle.loads(pickle.dumps(request)) == request


def test_extract_in_sandbox_one_off(tmp_path: Path) -> None:
    path = hostile.make_pdf(tmp_path / "a.pdf", ["One off"])
    result = extract_in_sandbox(str(path), "application/pdf", LIMITS, tmp_path)
    assert result.ok and result.text == "One off"


def test_spooling_reads_hashes_and_types_files_in_the_children(
    pool: SandboxPool, tmp_path: Path
) -> None:
    text, empty = tmp_path / "note.txt", tmp_path / "empty.pdf"
    text.write_text("a note")
    empty.write_bytes(b"")
    spooled, nothing, missing = spooler(pool)([text, empty, tmp_path / "gone.txt"])
    assert isinstance(spooled, Spooled)
    assert spooled.sha256 == hashlib.sha256(b"a note").hexdigest()
    assert (spooled.mime, spooled.size) == ("text/plain", 6)
    assert Path(spooled.spool).read_bytes() == b"a note"
    assert isinstance(nothing, Quarantined) and nothing.reason == Reason.EMPTY_FILE
    assert isinstance(missing, Quarantined) and missing.reason == Reason.MISSING_FILE


class _ChildDiesOnPoison:
    """A pool whose child dies on any job holding the file named poison (as a real one would
    on a file that crashes libmagic): the spooler must find that file and no other."""

    def __init__(self) -> None:
        self.jobs: list[list[str]] = []

    def spool(self, paths: list[str], *_: object) -> Future[list[SpoolResult]]:
        self.jobs.append(paths)
        future: Future[list[SpoolResult]] = Future()
        if any(Path(p).name == "poison" for p in paths):
            dead = SpoolResult(ok=False, reason="corrupt", detail="crashed", whole_job=True)
            future.set_result([dead for _ in paths])
        else:
            future.set_result([spool_result(Path(p), Path(p).parent) for p in paths])
        return future


def test_a_child_dying_on_a_list_of_files_is_pinned_on_one_file(tmp_path: Path) -> None:
    paths = []
    for name in ("a", "poison", "c"):
        (tmp_path / name).write_text(f"file {name}")
        paths.append(tmp_path / name)
    fake = _ChildDiesOnPoison()
    results = spooler(fake)(paths)  # type: ignore[arg-type]
    assert [type(r).__name__ for r in results] == ["Spooled", "Quarantined", "Spooled"]
    assert fake.jobs == [[str(p) for p in paths]] + [[str(p)] for p in paths]


def test_spooling_into_a_local_store_stores_the_file_under_its_content_key(
    pool: SandboxPool, tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    note = tmp_path / "note.txt"
    note.write_text("stored by the child")
    [result] = pool.spool([str(note)], store).result(timeout=60)
    assert result.file is not None and result.file.stored and result.file.spool == ""
    with store.open(content_key(result.file.sha256)) as handle:
        assert handle.read() == b"stored by the child"
    assert list(store.staging.iterdir()) == []  # nothing left behind


def test_spooling_reads_the_text_of_the_files_asked_for_when_it_needs_no_ocr(
    pool: SandboxPool, tmp_path: Path
) -> None:
    """A new document's text comes back with its file; a scan (OCR) and a file not asked for
    come back without, and are extracted as jobs of their own."""
    layered = hostile.make_pdf(tmp_path / "layered.pdf", ["Text layer here"])
    scanned = hostile.make_scanned_pdf(tmp_path / "scanned.pdf", "SCANNED")
    not_asked = hostile.make_pdf(tmp_path / "known.pdf", ["Already known"])
    image = tmp_path / "scan.png"
    hostile.make_text_image("PICTURE").save(image)
    paths = [layered, scanned, not_asked, image]
    results = pool.spool([str(p) for p in paths], None, [True, True, False, True]).result(60)
    texts = [r.file.extraction if r.file is not None else "missing" for r in results]
    assert isinstance(texts[0], ExtractionResult) and texts[0].ok
    assert texts[0].text.strip() == "Text layer here" and texts[0].engine == "pdfium"
    assert texts[1:] == [None, None, None]
    direct = _through(pool, layered)
    assert (texts[0].text, texts[0].pages) == (direct.text, direct.pages)


def test_a_file_that_kills_the_child_while_its_text_is_read_is_still_stored(
    pool: SandboxPool, tmp_path: Path
) -> None:
    """A decompression bomb read with its text kills the child, and the whole list with it:
    every file is read again on its own without its text, so the bomb is stored like any other
    file (its own extraction job then ends it with the reason) and its neighbour is not lost."""
    store = LocalBlobStore(tmp_path / "blobs")
    good = hostile.make_pdf(tmp_path / "good.pdf", ["A neighbour"])
    bomb = hostile.flate_bomb_pdf(tmp_path)
    paths = [good, bomb]
    first = pool.spool([str(p) for p in paths], store, [True, True]).result(timeout=120)
    assert all(result.whole_job for result in first)
    results = spooled(pool, paths, first, store, [True, True])
    assert all(isinstance(r, Spooled) and r.stored and r.extraction is None for r in results)
    kept = results[1]
    assert isinstance(kept, Spooled)
    with store.local_copy(content_key(kept.sha256)) as path:
        assert _through(pool, path, kept.mime).reason == "memory_limit"


def test_a_large_file_is_read_without_its_text_even_when_asked(
    pool: SandboxPool, tmp_path: Path
) -> None:
    """Big files (court bundles) get extraction jobs of their own: in a list of 25 they could
    outrun the job's time limit and have the whole list read again."""
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text("a short note")
    large.write_bytes(b"a long statement line\n" * (TEXT_WITH_READ_MAX_BYTES // 22 + 1))
    results = pool.spool([str(small), str(large)], None, [True, True]).result(timeout=60)
    texts = [r.file.extraction if r.file is not None else "missing" for r in results]
    assert isinstance(texts[0], ExtractionResult) and texts[0].text.strip() == "a short note"
    assert texts[1] is None


def test_a_child_killed_while_copying_a_file_leaves_no_part_of_it(tmp_path: Path) -> None:
    """A file that never ends (a pipe whose writer stalls) holds the child in the middle of its
    copy into the store's staging folder until the job's time limit kills it: the part it had
    copied is removed with it, and the file ends with the reason."""
    store = LocalBlobStore(tmp_path / "blobs")
    stalled = tmp_path / "stalled.pdf"
    os.mkfifo(stalled)
    writer = os.open(stalled, os.O_RDWR)  # read-write: opening does not wait for a reader
    try:
        os.write(writer, b"%PDF-1.4 the first part of a file that never ends\n" * 100)
        with SandboxPool(1, Limits(timeout_s=2.0, memory_mb=512), tmp_path / "scratch") as pool:
            results = pool.spool([str(stalled)], store).result(timeout=60)
    finally:
        os.close(writer)
    assert results[0].whole_job and results[0].reason == "timeout"
    assert list(store.staging.iterdir()) == []
