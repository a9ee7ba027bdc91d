"""Legacy office formats through escr's warm LibreOffice (workers/convert), in the sandbox.

Every file here is written by LibreOffice itself from generated content (tests/factories/office).
LibreOffice is provisioned by scripts/system-deps.sh: without it these tests fail, they do not
skip.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document, DocumentText
from core.settings import Settings, get_settings
from core.states import Reason, RowState
from tests.factories import office
from workers import tasks
from workers.celery_app import QUEUES, configure, queue_name
from workers.convert import supervisor as supervision
from workers.convert.libreoffice import convert
from workers.convert.servers import OfficeServer
from workers.extract.base import ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.office import extract_rtf
from workers.extract.registry import choose
from workers.filetype import _refine, detect
from workers.load import load_archive
from workers.sandbox import SandboxPool

LIMITS = Limits(timeout_s=60.0)
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Agnes,Thornbury,2010-01-01,,,children\n"
)
WORDS = ["Thornbury", "safeguarding", "grandmother", "respite"]
SHEETS = {
    "Visits": [["Date", "Worker", "Outcome"], ["12/03/2004", "Jones", "grandmother present"]],
    "Contacts": [["Name", "Phone"], ["Agnes Thornbury", "0161 496 0000"]],
}
# How LibreOffice's RTF writes the two halves of U+1F600 (Word writes them as negative numbers).
HIGH_HALF, LOW_HALF = b"\\u55357", b"\\u56832\\'3f"
SLIDES = [["Safeguarding review", "Agnes Thornbury"], ["Actions", "respite at weekends"]]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each format, saved by LibreOffice from an OpenDocument source written by odfpy."""
    root = tmp_path_factory.mktemp("office")
    letter = office.text_document(
        root / "letter.odt",
        "Case note",
        [
            "Mrs Agnes Thornbury was visited at home about safeguarding.",
            "Her grandmother offers respite at weekends. A smile \U0001f600 was noted.",
        ],
    )
    book = office.spreadsheet(root / "book.ods", SHEETS)
    deck = office.presentation(root / "deck.odp", SLIDES)
    made = {"odt": letter, "ods": book, "odp": deck}
    out = root / "saved"
    for extension in ("doc", "dot", "rtf", "docx"):
        made[extension] = office.saved_as(letter, extension, out)
    for extension in ("xls", "xlsx"):
        made[extension] = office.saved_as(book, extension, out)
    for extension in ("ppt", "pptx"):
        made[extension] = office.saved_as(deck, extension, out)
    return made


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[SandboxPool]:
    with SandboxPool(2, LIMITS, tmp_path) as sandbox:
        yield sandbox


def _in_sandbox(pool: SandboxPool, path: Path) -> ExtractionResult:
    return pool.submit(str(path), detect(path).mime).result()


@pytest.mark.parametrize("kind", ["doc", "dot", "odt", "docx", "rtf"])
def test_text_documents_give_their_words_through_the_sandbox(
    samples: dict[str, Path], pool: SandboxPool, kind: str
) -> None:
    result = _in_sandbox(pool, samples[kind])
    assert result.ok, result.detail
    assert all(word in result.text for word in WORDS), result.text
    assert "\U0001f600" in result.text  # a character past U+FFFF survives every format
    result.text.encode("utf-8")


def test_word_97_goes_through_libreoffice(samples: dict[str, Path], pool: SandboxPool) -> None:
    assert detect(samples["doc"]).mime == "application/msword"
    assert _in_sandbox(pool, samples["doc"]).engine == "libreoffice"


@pytest.mark.parametrize("kind", ["xls", "xlsx", "ods"])
def test_every_sheet_comes_out_under_its_name(
    samples: dict[str, Path], pool: SandboxPool, kind: str
) -> None:
    result = _in_sandbox(pool, samples[kind])
    assert result.ok, result.detail
    lines = result.text.splitlines()
    assert lines.index("Visits") < lines.index("Contacts"), lines
    assert "12/03/2004\tJones\tgrandmother present" in lines
    assert "Agnes Thornbury\t0161 496 0000" in lines
    assert result.pages == 2


@pytest.mark.parametrize("kind", ["ppt", "pptx", "odp"])
def test_every_slide_gives_its_words(
    samples: dict[str, Path], pool: SandboxPool, kind: str
) -> None:
    result = _in_sandbox(pool, samples[kind])
    assert result.ok, result.detail
    for slide in SLIDES:
        assert all(line in result.text for line in slide), result.text
    assert result.pages == 2


def test_rtf_characters_past_the_bmp_are_joined_not_left_as_surrogates(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    # LibreOffice writes U+1F600 as two \uN escapes (a UTF-16 surrogate pair), as Word does.
    assert HIGH_HALF in samples["rtf"].read_bytes()
    text = extract_rtf(samples["rtf"], LIMITS, tmp_path).text
    assert "\U0001f600" in text
    text.encode("utf-8")  # raised UnicodeEncodeError (surrogates not allowed) before the fix


def test_a_lone_surrogate_escape_becomes_a_replacement_character(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    # LibreOffice's RTF with the second half of the pair cut out, as a careless writer leaves it.
    path = tmp_path / "lone.rtf"
    written = samples["rtf"].read_bytes()
    assert LOW_HALF in written
    path.write_bytes(written.replace(LOW_HALF, b""))
    text = extract_rtf(path, LIMITS, tmp_path).text
    assert "smile \ufffd was noted" in text and "\U0001f600" not in text
    text.encode("utf-8")


def test_ole_and_zip_office_files_are_typed_by_their_streams_and_members(
    samples: dict[str, Path],
) -> None:
    expected = {
        "doc": "application/msword",
        "xls": "application/vnd.ms-excel",
        "ppt": "application/vnd.ms-powerpoint",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
    for kind, mime in expected.items():
        data = samples[kind].read_bytes()
        assert detect(samples[kind]).mime == mime
        # libmagic's generic answers for the same bytes (CDFV2, zip) are refined the same way.
        generic = "application/CDFV2" if data[:4] == b"\xd0\xcf\x11\xe0" else "application/zip"
        assert _refine(data[:65536], data[-65536:], generic) == mime, kind
        extractor = choose(mime)
        assert extractor is not None and extractor.name == "libreoffice"


@pytest.mark.parametrize(
    "mime",
    [
        "application/vnd.wordperfect",
        "application/vnd.ms-works",
        "application/vnd.visio",
        "application/vnd.sun.xml.writer",
        "application/vnd.stardivision.writer",
        "application/vnd.apple.pages",
    ],
)
def test_formats_libreoffice_cannot_write_are_routed_to_it(mime: str) -> None:
    extractor = choose(mime)
    assert extractor is not None and extractor.name == "libreoffice"


def test_an_outlook_message_stays_with_the_message_reader() -> None:
    extractor = choose("application/CDFV2")
    assert extractor is not None and extractor.name == "msg"


@pytest.fixture
def one_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's supervisor made afresh with one server: the one a test stops is the one
    the next conversion leases."""
    monkeypatch.setenv("ESCR_OFFICE__SERVERS", "1")
    get_settings.cache_clear()
    supervision.reset()
    yield
    supervision.reset()
    get_settings.cache_clear()


def _server() -> supervision.Supervisor:
    return supervision.supervisor()


def _warm(samples: dict[str, Path], tmp_path: Path) -> int:
    """Convert once so that a server runs; its soffice's pid."""
    convert(samples["doc"], "odt", tmp_path / "warm", LIMITS)
    pid = next(server.soffice_pid() for server in _servers() if server.alive())
    assert pid is not None
    return pid


def _servers() -> list[OfficeServer]:
    return list(_server()._servers)


def test_a_conversion_over_its_time_is_killed_and_its_server_replaced(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    _warm(samples, tmp_path)
    restarts = _server().restarts
    with pytest.raises(ExtractionFailed) as failed:
        convert(samples["xls"], "pdf", tmp_path / "slow", Limits(timeout_s=0.0125))
    assert failed.value.reason is Reason.TIMEOUT
    assert _server().restarts > restarts
    # The next file converts (on the replacement, or the other warm server).
    assert convert(samples["doc"], "txt", tmp_path / "after", LIMITS).exists()


def test_a_hung_libreoffice_is_killed_and_the_document_ends_with_timeout(
    samples: dict[str, Path], tmp_path: Path, one_server: None
) -> None:
    soffice = _warm(samples, tmp_path)
    os.kill(soffice, signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as failed:
        convert(samples["doc"], "pdf", tmp_path / "hung", Limits(timeout_s=2.0))
    assert failed.value.reason is Reason.TIMEOUT
    assert time.monotonic() - started < 10
    assert _ends(soffice)
    assert convert(samples["doc"], "txt", tmp_path / "after", LIMITS).read_text().strip()


def _ends(pid: int, within_s: float = 10.0) -> bool:
    """Whether process `pid` is gone (or a zombie) within the time: the kernel takes a moment
    to tear down a killed soffice of 0.7 GB."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_libreoffice_dying_mid_conversion_ends_the_file_with_a_reason(
    samples: dict[str, Path], tmp_path: Path, one_server: None
) -> None:
    soffice = _warm(samples, tmp_path)
    os.kill(soffice, signal.SIGSTOP)  # held mid-call, then killed
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            convert(samples["doc"], "pdf", tmp_path / "dies", Limits(timeout_s=30.0))
        except ExtractionFailed as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)
    os.kill(soffice, signal.SIGKILL)
    thread.join(30)
    assert outcome and isinstance(outcome[0], ExtractionFailed)
    assert outcome[0].reason is Reason.CORRUPT, outcome[0].detail
    assert convert(samples["doc"], "txt", tmp_path / "after", LIMITS).exists()


def test_the_supervisor_restarts_a_server_that_died_while_idle(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    soffice = _warm(samples, tmp_path)
    os.kill(soffice, signal.SIGKILL)
    deadline = time.monotonic() + supervision.HEALTH_INTERVAL_S + 30
    while time.monotonic() < deadline:
        running = [server.soffice_pid() for server in _servers() if server.alive()]
        if running and soffice not in running:
            break
        time.sleep(0.5)
    running = [server.soffice_pid() for server in _servers() if server.alive()]
    assert running and soffice not in running
    assert convert(samples["doc"], "txt", tmp_path / "after", LIMITS).exists()


def test_the_sandbox_child_reaches_the_servers_of_the_process_that_owns_the_pool(
    samples: dict[str, Path], pool: SandboxPool
) -> None:
    result = _in_sandbox(pool, samples["xls"])
    assert result.ok and result.engine == "libreoffice", result.detail
    # The servers are this process's (the child leased one; it started none of its own).
    assert any(server.alive() for server in _servers())


def test_escr_load_reads_office_files_through_the_warm_libreoffice(
    samples: dict[str, Path], settings: Settings, tmp_path: Path
) -> None:
    """`escr load` (load_archive) of a small archive of office files: each is typed, read
    through the sandbox and LibreOffice, and indexed with its words."""
    root = tmp_path / "archive"
    (root / "files").mkdir(parents=True)
    kinds = ["doc", "xls", "ppt", "rtf", "ods"]
    for kind in kinds:
        shutil.copy(samples[kind], root / "files" / f"record.{kind}")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "legacy_person_id", "file_path"])
        for kind in kinds:
            writer.writerow(["PARIS", f"D-{kind}", "100", f"files/record.{kind}"])
    summary = load_archive(
        settings,
        manifest=root / "manifest.csv",
        people=root / "people.csv",
        workers=2,
        progress=False,
    )
    assert summary["batch"]
    with session_factory(settings.database_url)() as session:
        documents = {d.source_document_id: d for d in session.scalars(select(Document))}
        texts = dict(session.execute(select(DocumentText.document_id, DocumentText.text)).all())
    for kind in kinds:
        document = documents[f"D-{kind}"]
        assert (document.state, document.reason) == (RowState.INDEXED, None), document.detail
        assert "Thornbury" in texts[document.id], kind
    assert documents["D-doc"].engine == documents["D-xls"].engine == "libreoffice"
    assert "Contacts" in texts[documents["D-xls"].id]


def test_office_files_go_to_the_convert_queue_in_scale_out(settings: Settings) -> None:
    assert tasks._extract_task("application/msword") is tasks.convert
    assert tasks._extract_task("application/vnd.ms-excel") is tasks.convert
    assert tasks._extract_task("image/tiff") is tasks.ocr
    assert tasks._extract_task("application/pdf") is tasks.extract
    app = configure(settings)
    routes = app.conf.task_routes
    assert routes["escr.convert"]["queue"] == queue_name(settings, "convert")
    assert "convert" in QUEUES


def test_a_password_protected_office_file_ends_encrypted(
    samples: dict[str, Path], pool: SandboxPool, tmp_path: Path
) -> None:
    # Encrypted by msoffcrypto-tool (Agile encryption, as Office 2010+ writes it).
    locked = tmp_path / "locked.xlsx"
    with samples["xlsx"].open("rb") as plain, locked.open("wb") as out:
        OOXMLFile(plain).encrypt("secret", out)
    mime = detect(locked).mime
    extractor = choose(mime)
    assert extractor is not None and extractor.name == "libreoffice", mime
    result = pool.submit(str(locked), mime).result()
    assert (result.ok, result.reason) == (False, Reason.ENCRYPTED.value), result.detail


def test_libreoffice_runs_under_the_memory_limit(samples: dict[str, Path], tmp_path: Path) -> None:
    soffice = _warm(samples, tmp_path)
    limits = Path(f"/proc/{soffice}/limits").read_text().splitlines()
    address_space = next(line for line in limits if line.startswith("Max address space"))
    expected = get_settings().office.memory_mb * 2**20
    assert address_space.split()[3:5] == [str(expected), str(expected)], address_space


def test_the_folders_of_killed_supervisors_are_swept(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])  # a pid that has ended
    dead.wait()
    stale = tmp_path / f"escr-office-{dead.pid}-abc"
    live = tmp_path / f"escr-office-{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "office.sock").touch()
    supervision._sweep(tmp_path)
    assert not stale.exists() and live.exists()
