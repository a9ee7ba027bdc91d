"""Run extract_file (and spool_file, which reads a file for ingest and runs libmagic on it) in
long-lived child processes that can be killed (docs/decisions/0002).

Each child parses one file at a time under RLIMIT_AS and RLIMIT_CPU, in its own process group
so that Tesseract grandchildren die with it. One parent thread per child hands it jobs over a
pipe and enforces the wall-clock limit; a child that runs over, crashes or is killed is replaced
and its job resolved with a reason code, so no file can stop the pool.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import queue
import resource
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

from core.logging import configure_logging, get_logger
from core.states import Reason
from storage.base import content_key
from storage.local import LocalBlobStore
from workers.classify import Keywords
from workers.convert.supervisor import child_env as office_env
from workers.extract.base import SCRATCH_PREFIX, ExtractionResult, Limits, PageRange
from workers.extract.signals import prime, text_signals, with_learned_type
from workers.ingest import Quarantined, Spooled, SpoolResult, spool_prefix, spool_result
from workers.redact.base import RedactRequest, RedactResult
from workers.redact.run import redact_limits
from workers.render.base import RenderRequest, RenderResult, job_limits
from workers.sandbox_server import CONTEXT
from workers.sandbox_server import start as start_forkserver

log = get_logger(__name__)


# What a child is sent: pickled over its pipe, so plain module-level classes of a few fields,
# named, where positional tuples read as job[4] said nothing of what they held.
@dataclass(frozen=True)
class ExtractRequest:
    """Extract one file, or a range of its pages (PageRange). `scratch` is the folder for the
    job's own files (page images, attachments): the parent adds it just before sending."""

    path: str
    mime: str
    pages: PageRange | None = None
    scratch: str = ""


@dataclass(frozen=True)
class SpoolRequest:
    """Read (and with `store_root`, a local blob store's root, store) a list of files; where
    `extract` flags a file, read its text too when that needs no OCR."""

    paths: list[str]
    store_root: str | None
    extract: list[bool] | None


@dataclass(frozen=True)
class RulesMessage:
    """Told, with no answer: the keyword rules to scan the texts it reads with
    (workers.extract.signals), and the learned type model's file to classify them with, if any
    (workers.type_model; decision 0032)."""

    keywords: Keywords | None
    type_model: str | None = None


_Request = ExtractRequest | SpoolRequest | RenderRequest | RedactRequest
_Result = ExtractionResult | list[SpoolResult] | RenderResult | RedactResult
# Queued as (priority, sequence, job): spooling feeds the pipeline, so it goes before extraction;
# renditions (workers/render) after both, so a backlog of them never slows a load; the pool's
# stop signals go last.
_Job = tuple[Future[Any], _Request]
_SPOOL, _EXTRACT, _RENDER, _STOP = 0, 1, 2, 3
# Time a new child may take to start, apart from (and on top of) any job's own time limit.
_START_TIMEOUT_S = 60.0
_READY = "ready"
# Under RLIMIT_AS an allocation failure in C++ code (PDFium, Tesseract) ends in std::bad_alloc
# and abort(); a SIGKILL we did not send comes from the kernel's OOM killer.
_MEMORY_SIGNALS = {signal.SIGABRT, signal.SIGKILL}


def _child_main(conn: Connection, limits: Limits, tmp_dir: str, env: dict[str, str]) -> None:
    """The child's loop: receive a request, send back its result, until told to stop."""
    os.setpgid(0, 0)
    # Where to lease a warm LibreOffice from (workers/convert): the forkserver's environment
    # is its own from before the pool existed.
    os.environ.update(env)
    memory = limits.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # One Tesseract thread per process: the pool already runs one process per core.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    tempfile.tempdir = tmp_dir
    # To stderr (the forkserver child starts with structlog's stdout default), warnings up:
    # what a file did is recorded on its document, not chattered on the console.
    configure_logging(os.environ.get("ESCR_LOG_LEVEL", "WARNING"))
    # The parsers' libraries log what they forgive in a damaged file as warnings (pypdf's "EOF
    # marker not found", tnefparse's "Checksum: 797 != 753", fpdf2's glyphs missing from a
    # font), which reached the console in the middle of a progress bar; the file's outcome is
    # recorded on its document. escr's own events go through structlog, not these loggers.
    logging.getLogger().setLevel(logging.ERROR)
    from workers.extract.registry import extract_file
    from workers.redact.run import redact_file
    from workers.render.registry import render_file

    # The forkserver's preloaded libraries (~75,000 objects, never garbage) out of the cycle
    # collector's reach, as the loader does (core/collector.py): its older passes walked them
    # all again. Its thresholds stay: a parser's cyclic garbage is collected as soon as before.
    # Collector time in a child's spool jobs: ~33 -> ~16 us a born-digital document.
    gc.freeze()
    conn.send(_READY)
    rules = RulesMessage(None)
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the parent has gone
            return
        if job is None:
            return
        if isinstance(job, RulesMessage):
            rules = job
            continue
        result: _Result
        try:
            # Once a job: its wall-clock limit (the parent's) bounds all its files together, and
            # getrusage per file showed in profiles under load.
            _arm_cpu_limit(job_limits(limits, job) if isinstance(job, RenderRequest) else limits)
            # Libraries' own temp files (pytesseract's) go where the job's files go.
            if isinstance(job, RenderRequest):
                tempfile.tempdir = job.scratch
                result = render_file(job, job_limits(limits, job))
            elif isinstance(job, RedactRequest):
                # A SAR's burn-in (workers/redact): the rendition may be the untrusted original.
                _arm_cpu_limit(redact_limits(limits, job))
                tempfile.tempdir = job.scratch
                result = redact_file(job, redact_limits(limits, job))
            elif isinstance(job, SpoolRequest):
                tempfile.tempdir = tmp_dir
                result = _spool_job(job, limits, tmp_dir, rules)
            else:
                tempfile.tempdir = job.scratch
                extracted = extract_file(job.path, job.mime, limits, job.scratch, job.pages)
                result = _with_signals(extracted, rules)
        except BaseException as exc:  # the file must not end this child's loop either
            result = _failed(job, Reason.INTERNAL_ERROR.value, repr(exc))
        conn.send(result)


def _with_signals(result: ExtractionResult, rules: RulesMessage) -> ExtractionResult:
    """The result with its text's signals, when the rules are known and the text is whole
    (pages left for OCR make another text later, scanned where it is assembled)."""
    if rules.keywords is None or not result.ok or result.pending_ocr or not result.text:
        return result
    try:
        result.signals = text_signals(result.text, rules.keywords)
    except Exception:  # ours, not the file's: the text is scanned again where it is used
        log.exception("sandbox.signals_failed")
        return result
    try:
        result.signals = with_learned_type(result.signals, result.text, rules.type_model)
    except Exception:  # likewise: the model is applied again where the type is decided
        log.exception("sandbox.learned_type_failed")
    return result


def _prime(result: _Result) -> None:
    """Keep the children's scans for the stages that read these texts in this process."""
    extractions = [result] if isinstance(result, ExtractionResult) else []
    if isinstance(result, list):
        extractions = [
            r.file.extraction for r in result if r.file is not None and r.file.extraction
        ]
    for extraction in extractions:
        if extraction.signals is not None:
            prime(extraction.text, extraction.signals)


def _spool_job(
    job: SpoolRequest, limits: Limits, tmp_dir: str, rules: RulesMessage
) -> list[SpoolResult]:
    """Read (and store) each file of a spool request, with its text where that was asked for.

    In three passes over the list (read every file, then read the texts, then scan them), not
    file by file: each pass's code and tables (libmagic's, PDFium's, the keyword automaton's)
    then stay in the CPU's caches from one file to the next. File by file, each step began
    cold: 3.38 against 2.85 ms of CPU a born-digital document (raw pypdfium2: 2.42), min of 8
    alternations on 500 realistic PDFs in lists of 25."""
    store = LocalBlobStore(Path(job.store_root)) if job.store_root is not None else None
    scratch = Path(tmp_dir)
    results = [spool_result(Path(path), scratch, store) for path in job.paths]
    extract = job.extract
    texts = [
        _text_of(result.file, store, limits, tmp_dir)
        if result.file is not None and extract and extract[index]
        else None
        for index, result in enumerate(results)
    ]
    for result, text in zip(results, texts, strict=True):
        if result.file is not None and text is not None:
            result.file = replace(result.file, extraction=_with_signals(text, rules))
    return results


# Files larger than this have their text read in a job of their own, even when asked with the
# read: a list of 25 court bundles could outrun one job's time limit, and then all 25 would be
# read again (docs/decisions/0013). Letters, forms and emails are far smaller.
TEXT_WITH_READ_MAX_BYTES = 4 * 2**20


def _text_with_read(spooled: Spooled) -> bool:
    return spooled.size <= TEXT_WITH_READ_MAX_BYTES


def _text_of(
    spooled: Spooled, store: LocalBlobStore | None, limits: Limits, tmp_dir: str
) -> ExtractionResult | None:
    """A spooled file's text where it needs no OCR and is small enough to read with the file;
    None where it is to be extracted in a job of its own."""
    from workers.extract.registry import extract_without_ocr

    if not _text_with_read(spooled):
        return None
    stored = (
        store.local_copy(content_key(spooled.sha256))
        if store is not None
        else nullcontext(Path(spooled.spool))
    )
    with stored as where:
        try:
            return extract_without_ocr(str(where), spooled.mime, limits, tmp_dir)
        except Exception:  # ours: the file is extracted again on its own, and reported
            log.exception("sandbox.spool_extract_failed")
            return None


def _failed(request: _Request, reason: str, detail: str) -> _Result:
    """The result a request gets when its child could not give one."""
    if isinstance(request, SpoolRequest):
        failed = SpoolResult(ok=False, reason=reason, detail=detail, whole_job=True)
        return [failed for _ in request.paths]
    if isinstance(request, RenderRequest):
        return RenderResult(ok=False, reason=reason, detail=detail)
    if isinstance(request, RedactRequest):
        return RedactResult(ok=False, reason=reason, detail=detail)
    return ExtractionResult(ok=False, reason=reason, detail=detail)


def _arm_cpu_limit(limits: Limits) -> None:
    """Allow this job the wall-clock limit in CPU seconds on top of what the child has used.

    A backstop only: the parent's timer normally fires first. RLIMIT_CPU counts over the
    child's whole life, so it is re-armed per job; the hard limit stays open for that reason.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = int(used + limits.timeout_s) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


class _Worker:
    """The parent's side of one child: its process, its pipe, and the thread that feeds it."""

    def __init__(self, pool: SandboxPool, index: int) -> None:
        self._pool = pool
        self._index = index
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._last_pid: int | None = None  # the child that took the last request
        self._rules_sent = 0  # the pool's rules version the current child was told
        self.thread = threading.Thread(target=self._serve, name=f"sandbox-{index}", daemon=True)

    def _serve(self) -> None:
        try:
            # Start the child now, not with the first job: its start-up then overlaps whatever
            # the caller does before submitting (a load registers its manifest meanwhile).
            self._start()
        except Exception:  # not fatal here: the first job tries again and reports it
            log.warning("sandbox.early_start_failed", worker=self._index, exc_info=True)
        while True:
            _priority, _sequence, job = self._pool._jobs.get()
            if job is None:
                break
            future, request = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = self._run(request)
                _prime(result)
                future.set_result(result)
            except Exception as exc:  # our bug, not the file's: still resolve the future
                log.exception("sandbox.internal_error", worker=self._index)
                future.set_result(_failed(request, Reason.INTERNAL_ERROR.value, repr(exc)))
        self._stop()

    def _start(self) -> tuple[BaseProcess, Connection]:
        if self._process is None or self._conn is None:
            parent_end, child_end = CONTEXT.Pipe(duplex=True)
            process = CONTEXT.Process(
                target=_child_main,
                args=(child_end, self._pool.limits, str(self._pool.tmp_dir), office_env()),
                name=f"escr-sandbox-{self._index}",
                daemon=True,
            )
            process.start()
            child_end.close()
            self._process, self._conn = process, parent_end
            # Wait for the child to be ready, so its start-up never counts against a job's limit.
            try:
                ready = parent_end.poll(_START_TIMEOUT_S) and parent_end.recv() == _READY
            except (EOFError, OSError):
                ready = False
            if not ready:
                self._discard(kill=True)
                raise RuntimeError("sandbox child did not start")
        return self._process, self._conn

    def _run(self, request: _Request) -> _Result:
        if isinstance(request, SpoolRequest):
            result = self._ask(request)
            if isinstance(result, list) and any(r.whole_job for r in result):
                _remove_partial_spools(request, self._last_pid)
            return result
        # Each extraction writes in a folder of its own, removed here unless the result hands
        # files to the caller (attachments: discard_files removes them and the folder). A child
        # killed mid-file leaves nothing behind, in a worker that runs for days.
        scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=self._pool.tmp_dir)
        result = self._ask(replace(request, scratch=scratch))
        if not (isinstance(result, ExtractionResult) and result.attachments):
            shutil.rmtree(scratch, ignore_errors=True)
        return result

    def _ask(self, request: _Request) -> _Result:
        process, conn = self._start()
        try:
            self._send(conn, request)
        except (BrokenPipeError, ConnectionResetError):
            # The child died while idle; a fresh one takes the job.
            self._discard(kill=True)
            process, conn = self._start()
            self._send(conn, request)
        self._last_pid = process.pid
        limit = self._pool.limits.timeout_s
        if isinstance(request, RenderRequest):
            limit = job_limits(self._pool.limits, request).timeout_s
        if isinstance(request, RedactRequest):
            limit = redact_limits(self._pool.limits, request).timeout_s
        ready = wait([conn, process.sentinel], timeout=limit)
        if conn in ready:
            try:
                result: _Result = conn.recv()
                return result
            except (EOFError, ConnectionResetError):
                pass  # it died while answering: a crash, handled below
        what = (
            request.mime
            if isinstance(request, ExtractRequest | RenderRequest | RedactRequest)
            else "spool"
        )
        if not ready:
            self._discard(kill=True)
            log.warning("sandbox.timeout", worker=self._index, mime=what)
            return _failed(request, Reason.TIMEOUT.value, f"over {limit}s")
        # The child is dead; killing its group ends a Tesseract it may have left running.
        exitcode = self._discard(kill=True)
        reason, detail = _crash_reason(exitcode, self._index, what)
        return _failed(request, reason, detail)

    def _send(self, conn: Connection, request: _Request) -> None:
        """The request, after the pool's keyword rules if this child has not had them."""
        version, rules = self._pool.rules
        if version != self._rules_sent:
            conn.send(rules)
            self._rules_sent = version
        conn.send(request)

    def _discard(self, kill: bool) -> int | None:
        """Forget the child (killing its process group first if asked); returns its exit code."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._rules_sent = 0
        if conn is not None:
            conn.close()
        if process is None:
            return None
        if kill and process.pid is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                # Not yet in its own group (killed before setpgid) or already gone.
                process.kill()
        process.join(timeout=10)
        return process.exitcode

    def _stop(self) -> None:
        if self._conn is not None and self._process is not None:
            try:
                self._conn.send(None)
                self._process.join(timeout=5)
            except OSError:
                pass
        self._discard(kill=self._process is not None and self._process.is_alive())


def _remove_partial_spools(request: SpoolRequest, pid: int | None) -> None:
    """A child killed in the middle of a spool job may leave the file it was copying in the
    store's staging folder (a spool into the scratch folder goes with it): remove it. Only that
    child's files: other children and other loads stage files there too."""
    store_root = request.store_root
    if store_root is None or pid is None:
        return
    staging = LocalBlobStore(Path(store_root)).staging
    for partial in staging.glob(f"{spool_prefix(pid)}*"):
        partial.unlink(missing_ok=True)


def _crash_reason(exitcode: int | None, worker: int, mime: str) -> tuple[str, str]:
    """The reason code and detail for a child that died on a job."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        log.warning("sandbox.child_died", worker=worker, mime=mime, signal=number)
        if number == signal.SIGXCPU:
            return Reason.TIMEOUT.value, "CPU limit"
        if number in _MEMORY_SIGNALS:
            return (
                Reason.MEMORY_LIMIT.value,
                f"parser aborted (signal {number}) under the memory limit",
            )
        return Reason.CORRUPT.value, f"parser crashed (signal {number})"
    log.warning("sandbox.child_exited", worker=worker, mime=mime, exitcode=exitcode)
    return Reason.CORRUPT.value, f"parser exited (code {exitcode})"


class SandboxPool:
    """N child processes that extract untrusted files, with time and memory limits per file."""

    def __init__(self, workers: int, limits: Limits, tmp_dir: Path) -> None:
        # Started here unless the command started it first (`escr load` does).
        start_forkserver()
        self.limits = limits
        self.tmp_dir = Path(tmp_dir)
        self._jobs: queue.PriorityQueue[tuple[int, int, _Job | None]] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._closed = False
        self._lock = threading.Lock()
        self._rules: tuple[int, RulesMessage] = (0, RulesMessage(None))
        self._workers = [_Worker(self, index) for index in range(max(1, workers))]
        for worker in self._workers:
            worker.thread.start()

    def scan_with(self, keywords: Keywords, type_model: Path | None = None) -> None:
        """Have the children scan each text they read for these keyword rules, its NHS numbers
        and its first date (workers.extract.signals), and classify it with the learned type
        model in `type_model` if given, so the caller need not scan it again."""
        model = str(type_model) if type_model is not None else None
        with self._lock:
            self._rules = (self._rules[0] + 1, RulesMessage(dict(keywords), model))

    @property
    def rules(self) -> tuple[int, RulesMessage]:
        """(version, what the children are to scan with); version 0: nothing."""
        with self._lock:
            return self._rules

    @property
    def workers(self) -> int:
        """How many children read files at once."""
        return len(self._workers)

    def submit(
        self, path: str, mime: str, pages: PageRange | None = None
    ) -> Future[ExtractionResult]:
        """Queue one file (or a range of its pages, see PageRange); the future always resolves
        with a result, never an exception."""
        future: Future[ExtractionResult] = Future()
        self._put(_EXTRACT, (future, ExtractRequest(path, mime, pages)))
        return future

    def render(self, request: RenderRequest) -> Future[RenderResult]:
        """Queue one rendition (workers/render), behind every spool and extraction job; the
        future always resolves with a result, never an exception."""
        future: Future[RenderResult] = Future()
        self._put(_RENDER, (future, request))
        return future

    def redact(self, request: RedactRequest) -> Future[RedactResult]:
        """Queue one burn-in of redactions (workers/redact) with the renditions' priority; the
        future always resolves with a result, never an exception."""
        future: Future[RedactResult] = Future()
        self._put(_RENDER, (future, request))
        return future

    def spool(
        self,
        paths: list[str],
        store: LocalBlobStore | None = None,
        extract: list[bool] | None = None,
    ) -> Future[list[SpoolResult]]:
        """Read files for ingest (see workers.ingest.spool_file), ahead of any extraction; with
        a local `store`, store them there; where `extract` says so, read the file's text too
        when that needs no OCR (Spooled.extraction). A list a job: round trips per file cost
        more than reading the files (docs/decisions/0013)."""
        future: Future[list[SpoolResult]] = Future()
        root = str(store.root) if store is not None else None
        self._put(_SPOOL, (future, SpoolRequest(list(paths), root, extract)))
        return future

    def _put(self, priority: int, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("SandboxPool is closed")
            self._jobs.put((priority, next(self._sequence), job))

    def close(self) -> None:
        """Finish the queued jobs, then stop the children."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._workers:
                self._jobs.put((_STOP, next(self._sequence), None))
        for worker in self._workers:
            worker.thread.join()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def spooler(pool: SandboxPool) -> Callable[[list[Path]], list[Spooled | Quarantined]]:
    """spool_file run in the pool's children (a read_files `spool`): libmagic sees untrusted
    bytes there, not in the parent, and the hashing runs on the children's cores."""

    def spool(paths: list[Path]) -> list[Spooled | Quarantined]:
        return spooled(pool, paths, pool.spool([str(path) for path in paths]).result())

    return spool


def spooled(
    pool: SandboxPool,
    paths: list[Path],
    results: list[SpoolResult],
    store: LocalBlobStore | None = None,
    extract: list[bool] | None = None,
) -> list[Spooled | Quarantined]:
    """The outcome of pool.spool(paths, store, extract) for each file. Where a child died or ran
    out of time on the job, each file is read again on its own and without its text: the file
    that did it is then stored like any other, and its own extraction job ends with the reason,
    so the original is kept for review (docs/decisions/0013)."""
    died = any(result.whole_job for result in results)
    if died and (len(paths) > 1 or any(extract or [])):
        results = [pool.spool([str(path)], store).result()[0] for path in paths]
    return [result.spooled() for result in results]


def extract_in_sandbox(path: str, mime: str, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Extract one file in a fresh sandboxed child (for one-off use; batches use a pool)."""
    with SandboxPool(1, limits, tmp_dir) as pool:
        return pool.submit(path, mime).result()
