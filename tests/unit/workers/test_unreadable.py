"""Bytes that contradict their name (issue 13, section 3): the one rule, filetype's
extension_mismatch, decides; an unread file it flags is `unreadable`, any other stays as read."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from catalog.models import Document
from core.states import Reason
from workers.extract.base import ExtractionResult
from workers.filetype import detect, extension_mismatch
from workers.unreadable import judged, twin_reason


def _document(name: str, mime: str) -> Document:
    return Document(
        original_name=name, mime=mime, extension_mismatch=extension_mismatch(name, mime)
    )


def test_random_bytes_contradict_a_name_that_promises_a_type(tmp_path: Path) -> None:
    path = tmp_path / "letter.pdf"
    path.write_bytes(random.Random(7).randbytes(4096))
    mime = detect(path).mime
    assert mime == "application/octet-stream"
    assert extension_mismatch("letter.pdf", mime)
    assert extension_mismatch("notes.docx", mime)
    # A name that promises nothing (.dat, .001, none) is not contradicted by unknown bytes.
    assert not extension_mismatch("winmail.dat", mime)
    assert not extension_mismatch("export.001", mime)
    assert not extension_mismatch("README", mime)


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        (ExtractionResult(ok=True, engine="none", reason="unsupported_type"), Reason.UNREADABLE),
        (
            ExtractionResult(ok=False, engine="docx", reason="corrupt", detail="bad"),
            Reason.UNREADABLE,
        ),
        (ExtractionResult(ok=False, engine="pdf", reason="encrypted"), Reason.ENCRYPTED),
        (ExtractionResult(ok=True, engine="text", text="words"), None),
    ],
)
def test_only_an_unread_file_with_a_contradicting_name_is_unreadable(
    found: ExtractionResult, reason: Reason | None
) -> None:
    liar = _document("notes.docx", "application/octet-stream")
    result = judged(liar, found)
    assert result.reason == reason
    if reason == Reason.UNREADABLE:
        assert result.ok and result.text == ""
        assert result.detail.startswith("named .docx but its content is application/octet-stream")
    honest = _document("notes.bin", "application/octet-stream")
    assert judged(honest, found) is found


def test_a_twin_takes_the_reason_its_own_name_gives() -> None:
    liar = _document("scan.pdf", "application/octet-stream")
    honest = _document("scan.dat", "application/octet-stream")
    assert twin_reason(liar, Reason.UNSUPPORTED_TYPE) == Reason.UNREADABLE
    assert twin_reason(honest, Reason.UNREADABLE) == Reason.UNSUPPORTED_TYPE
    assert twin_reason(honest, Reason.NO_TEXT) == Reason.NO_TEXT
