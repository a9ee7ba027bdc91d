"""Containers become documents: each archive format's members come out as attachments (temp
files under the job's folder, named by us), bombs are refused by count, ratio and total size
before and while unpacking, names cannot escape, encrypted members end `encrypted`.

Every archive here is made by the real tool for its format (zipfile, tarfile, gzip, py7zr,
pyzipper, Debian's `zip`); the TNEF samples are tnefparse's own (tests/fixtures/tnef)."""

from __future__ import annotations

import bz2
import gzip
import io
import mailbox
import os
import shutil
import subprocess
import tarfile
import zipfile
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import py7zr
import pytest
import pyzipper

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits
from workers.extract.registry import extract_file
from workers.filetype import detect
from workers.synth import files as sf

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tnef"
LIMITS = Limits()


def _doc(word: str) -> sf.TextDoc:
    return sf.TextDoc(
        "Visit", [f"Ref {word}"], [f"Recorded {word} at home."], date(2020, 5, 4), "Sam"
    )


def _extract(path: Path, scratch: Path, limits: Limits = LIMITS) -> ExtractionResult:
    """Through the registry, typed by content as ingest types it."""
    scratch.mkdir(exist_ok=True)
    return extract_file(str(path), detect(path).mime, limits, str(scratch))


def _members(result: ExtractionResult) -> dict[str, bytes]:
    return {a.name: Path(a.path).read_bytes() for a in result.attachments}


def _inside(result: ExtractionResult, scratch: Path) -> None:
    for attachment in result.attachments:
        assert Path(attachment.path).resolve().parent == scratch.resolve()


def test_a_zip_of_a_pdf_and_a_docx_gives_both_as_attachments(tmp_path: Path) -> None:
    pdf, docx = sf.pdf_bytes(_doc("zipquill")), sf.docx_bytes(_doc("zipheron"))
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("letters/letter.pdf", pdf)
        archive.writestr("notes.docx", docx)
        archive.writestr("letters/", "")  # a folder entry is no member
    assert detect(path).mime == "application/zip"
    result = _extract(path, tmp_path / "job")
    assert result.ok and result.engine == "zip" and result.reason is None
    assert _members(result) == {"letter.pdf": pdf, "notes.docx": docx}
    assert "letters/letter.pdf" in result.text and "notes.docx" in result.text
    _inside(result, tmp_path / "job")


def test_an_empty_zip_is_read_as_empty_not_damaged(tmp_path: Path) -> None:
    """mammoth's empty.zip (its end record alone) ended corrupt with a ValueError."""
    path = tmp_path / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    result = _extract(path, tmp_path / "job")
    assert result.ok, result.detail
    assert result.attachments == []
    assert result.reason == Reason.NO_TEXT.value


def test_member_names_cannot_escape_the_scratch_folder(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../etc/passwd", b"root:x:0:0")
        archive.writestr("/etc/shadow", b"root:!:1")
        archive.writestr("..\\..\\windows\\win.ini", b"[fonts]")
        archive.writestr("bad\x07\x1bname.txt", b"bell")
    result = _extract(path, tmp_path / "job")
    assert sorted(_members(result)) == ["badname.txt", "passwd", "shadow", "win.ini"]
    _inside(result, tmp_path / "job")
    assert not (tmp_path / "etc").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip", "job"]
    assert "\x07" not in result.text and "../../etc/passwd" in result.text


def test_a_zip_bomb_is_refused_by_its_ratio_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w") as member,
    ):
        for _ in range(200):
            member.write(bytes(2**20))  # 200 MiB of zeros, ~200 KiB deflated
    assert path.stat().st_size < 2**20
    result = _extract(path, tmp_path / "job")
    assert not result.ok and result.reason == Reason.TOO_LARGE
    assert "100x" in result.detail
    assert list((tmp_path / "job").iterdir()) == []


@pytest.mark.parametrize("name", ["bomb.tar.gz", "bomb.gz"])
def test_a_bomb_that_declares_nothing_is_stopped_while_unpacking(tmp_path: Path, name: str) -> None:
    """A tar.gz's members and a .gz's stream declare no packed size: the bytes that come out
    are counted against the archive's own size as they come."""
    path = tmp_path / name
    zeros = bytes(200 * 2**20)
    if name.endswith(".tar.gz"):
        with tarfile.open(path, "w:gz") as archive:
            info = tarfile.TarInfo("zeros.bin")
            info.size = len(zeros)
            archive.addfile(info, io.BytesIO(zeros))
    else:
        path.write_bytes(gzip.compress(zeros))
    assert path.stat().st_size < 2**20
    result = _extract(path, tmp_path / "job")
    assert result.reason == Reason.TOO_LARGE and "100x" in result.detail
    assert list((tmp_path / "job").iterdir()) == []


def test_a_damaged_member_is_listed_not_kept_half_written(tmp_path: Path) -> None:
    path = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("broken.txt", b"case notes " * 1000)
        archive.writestr("whole.txt", b"kept")
    data = bytearray(path.read_bytes())
    # The first member's stored CRC-32 (local header offset 14) no longer matches its bytes.
    data[14:18] = bytes(4)
    central = data.find(b"PK\x01\x02")
    data[central + 16 : central + 20] = bytes(4)
    path.write_bytes(bytes(data))
    result = _extract(path, tmp_path / "job")
    assert result.ok and _members(result) == {"whole.txt": b"kept"}
    assert "broken.txt (skipped: damaged: Bad CRC-32" in result.text
    assert result.detail.startswith("1 members could not be unpacked: broken.txt")
    assert len(list((tmp_path / "job").iterdir())) == 1


def test_a_member_count_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(LIMITS.max_members + 1):
            archive.writestr(f"{number}.txt", b"")
    result = _extract(path, tmp_path / "job")
    assert result.reason == Reason.TOO_LARGE
    assert f"more than {LIMITS.max_members:,} members" in result.detail
    assert list((tmp_path / "job").iterdir()) == []


def test_archives_past_the_total_size_are_refused(tmp_path: Path) -> None:
    """Random bytes do not compress: no ratio catches them, the total does."""
    path = tmp_path / "big.tar"
    with tarfile.open(path, "w") as archive:
        for number in range(3):
            data = os.urandom(2**20)
            info = tarfile.TarInfo(f"part{number}.bin")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    result = _extract(path, tmp_path / "job", Limits(max_unpacked_mb=2))
    assert result.reason == Reason.TOO_LARGE and "past 2 MiB" in result.detail


@pytest.mark.parametrize("maker", ["pyzipper", "zip -e"])
def test_an_encrypted_member_becomes_an_encrypted_zip_of_its_own(
    tmp_path: Path, maker: str
) -> None:
    path = tmp_path / "locked.zip"
    secret = sf.pdf_bytes(_doc("lockedword"))
    if maker == "pyzipper":  # WinZip AES, as 7-Zip and WinZip write it
        with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED) as archive:
            archive.setpassword(b"pa55")
            archive.setencryption(pyzipper.WZ_AES)
            archive.writestr("secret.pdf", secret)
    else:  # PKWARE's traditional encryption, by Debian's Info-ZIP `zip`
        (tmp_path / "secret.pdf").write_bytes(secret)
        subprocess.run(
            ["zip", "-q", "-P", "pa55", str(path), "secret.pdf"], cwd=tmp_path, check=True
        )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("open.txt", b"nothing to hide")
    result = _extract(path, tmp_path / "job")
    assert result.ok
    locked, plain = result.attachments
    assert (locked.name, locked.reason) == ("secret.pdf", Reason.ENCRYPTED)
    assert (plain.name, plain.reason) == ("open.txt", None)
    # The child is the member still encrypted, in a ZIP the password opens.
    with pyzipper.AESZipFile(locked.path) as lone:
        lone.setpassword(b"pa55")
        assert lone.namelist() == ["secret.pdf"]
        assert lone.read("secret.pdf") == secret
    assert "secret.pdf (encrypted)" in result.text


def test_tar_links_and_devices_are_listed_never_followed(tmp_path: Path) -> None:
    path = tmp_path / "links.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = b"case notes"
        info = tarfile.TarInfo("notes.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        for name, kind, target in (
            ("passwd", tarfile.SYMTYPE, "/etc/passwd"),
            ("hard", tarfile.LNKTYPE, "notes.txt"),
            ("null", tarfile.CHRTYPE, ""),
            ("pipe", tarfile.FIFOTYPE, ""),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            archive.addfile(info)
    assert detect(path).mime == "application/gzip"
    result = _extract(path, tmp_path / "job")
    assert _members(result) == {"notes.txt": b"case notes"}
    assert "passwd (skipped: symbolic link to /etc/passwd)" in result.text
    assert "hard (skipped: hard link to notes.txt)" in result.text
    assert "null (skipped: device" in result.text and "pipe (skipped: device" in result.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job", "links.tar.gz"]


def test_a_single_gzip_member_keeps_the_name_its_header_carries(tmp_path: Path) -> None:
    letter = sf.txt_bytes(_doc("gzword"), cp1252=False)
    path = tmp_path / "letter.txt.gz"
    with path.open("wb") as raw, gzip.GzipFile("letter.txt", "wb", fileobj=raw) as out:
        out.write(letter)
    result = _extract(path, tmp_path / "job")
    assert _members(result) == {"letter.txt": letter}
    unnamed = tmp_path / "notes.bz2"
    unnamed.write_bytes(bz2.compress(letter))
    result = _extract(unnamed, tmp_path / "job2")
    assert [(a.name, Path(a.path).read_bytes()) for a in result.attachments] == [("", letter)]


def test_a_7z_gives_its_members_and_lists_a_climbing_name(tmp_path: Path) -> None:
    path = tmp_path / "bundle.7z"
    pdf = sf.pdf_bytes(_doc("sevenword"))
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(pdf, "letters/letter.pdf")
        archive.writestr(b"plain", "notes.txt")
    assert detect(path).mime == "application/x-7z-compressed"
    result = _extract(path, tmp_path / "job")
    assert result.engine == "7z"
    assert _members(result) == {"letter.pdf": pdf, "notes.txt": b"plain"}
    _inside(result, tmp_path / "job")


@pytest.mark.parametrize("header_encryption", [False, True])
def test_an_encrypted_7z_ends_encrypted(tmp_path: Path, header_encryption: bool) -> None:
    path = tmp_path / "locked.7z"
    with py7zr.SevenZipFile(path, "w", password="pa55", header_encryption=header_encryption) as a:
        a.writestr(b"secret", "secret.txt")
    result = _extract(path, tmp_path / "job")
    assert not result.ok and result.reason == Reason.ENCRYPTED
    assert list((tmp_path / "job").iterdir()) == []


def test_a_7z_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(bytes(120 * 2**20), "zeros.bin")
    result = _extract(path, tmp_path / "job")
    assert result.reason == Reason.TOO_LARGE
    assert list((tmp_path / "job").iterdir()) == []


def _message(number: int, word: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Smith <sam@synthshire.example>"
    message["To"] = "Duty <duty@synthshire.example>"
    message["Subject"] = f"Visit {number}/3 for {word}"
    message["Date"] = f"Mon, 0{number} Jun 2020 10:00:00 +0000"
    message.set_content(f"The duty worker recorded {word}.\nFrom the office.\n")
    return message


def test_an_mbox_of_three_messages_gives_three_emails(tmp_path: Path) -> None:
    path = tmp_path / "team.mbox"
    box = mailbox.mbox(path)
    for number, word in enumerate(("mboxalpha", "mboxbeta", "mboxgamma"), start=1):
        box.add(_message(number, word))
    box.close()
    assert detect(path).mime == "application/mbox"
    result = _extract(path, tmp_path / "job")
    names = [a.name for a in result.attachments]
    assert names == [
        "0001 Visit 1-3 for mboxalpha.eml",
        "0002 Visit 2-3 for mboxbeta.eml",
        "0003 Visit 3-3 for mboxgamma.eml",
    ]
    # Each child is a message the eml extractor reads, body and all ("From " in a body kept).
    child = extract_file(result.attachments[1].path, "message/rfc822", LIMITS, str(tmp_path))
    assert "mboxbeta" in child.text and "From the office" in child.text


def test_a_winmail_dat_gives_its_attachments_and_body(tmp_path: Path) -> None:
    path = tmp_path / "winmail.dat"
    shutil.copy(FIXTURES / "two-files.tnef", path)
    assert detect(path).mime == "application/vnd.ms-tnef"
    result = _extract(path, tmp_path / "job")
    assert result.engine == "tnef"
    assert sorted(_members(result)) == ["AUTHORS", "README"]
    assert b"" not in _members(result).values()
    rtf = _extract(FIXTURES / "rtf.tnef", tmp_path / "job2")
    assert "Senior Engineer" in rtf.text  # its compressed RTF body, read


def test_a_damaged_pst_ends_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "mail.pst"
    path.write_bytes(b"!BDN" + os.urandom(4096))
    assert detect(path).mime == "application/vnd.ms-outlook-pst"
    result = _extract(path, tmp_path / "job")
    assert not result.ok and result.reason == Reason.CORRUPT and result.engine == "pst"


def test_a_blank_page_scanned_to_bmp_is_no_bomb(tmp_path: Path) -> None:
    """An A4 page at 200 dpi, 24-bit and blank, deflates ~400x: under RATIO_FLOOR it is kept."""
    from PIL import Image

    page = io.BytesIO()
    Image.new("RGB", (1654, 2339), "white").save(page, format="BMP")
    path = tmp_path / "scans.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("page1.bmp", page.getvalue())
    assert len(page.getvalue()) > 100 * path.stat().st_size
    result = _extract(path, tmp_path / "job")
    assert result.ok and _members(result) == {"page1.bmp": page.getvalue()}


def test_a_letter_that_opens_with_from_is_no_mbox(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_bytes(b"From the desk of the team manager\nRe: the visit on Monday\n\nDear Ann,\n")
    assert detect(path).mime == "text/plain"
    box = tmp_path / "one.mbox"
    mbox = mailbox.mbox(box)
    mbox.add(_message(1, "onlyone"))
    mbox.close()
    assert detect(box).mime == "application/mbox"
