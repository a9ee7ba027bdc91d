"""Finding a manifest row's file: never outside the archive folder, whatever the path or the
links inside the archive say."""

from __future__ import annotations

import dataclasses
import os
import unicodedata
from pathlib import Path

import pytest

from core.states import Reason
from workers.ingest import Quarantine, resolve_path
from workers.sources.mapping import load_mapping

MAPPING = load_mapping()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    (root / "files" / "Person 1").mkdir(parents=True)
    (root / "files" / "Person 1" / "letter.pdf").write_bytes(b"%PDF-1.4 letter")
    (tmp_path / "outside.txt").write_text("not for the archive")
    return root


def _reason(root: Path, file_path: str, mapping: object = MAPPING) -> Reason:
    with pytest.raises(Quarantine) as caught:
        resolve_path(root, file_path, mapping)  # type: ignore[arg-type]
    return caught.value.outcome.reason


def test_a_file_in_the_archive_is_found(archive: Path) -> None:
    found = resolve_path(archive, "files/Person 1/letter.pdf", MAPPING)
    assert found == (archive / "files" / "Person 1" / "letter.pdf").resolve()
    assert resolve_path(archive, "files\\Person 1\\letter.pdf", MAPPING) == found


def test_paths_that_leave_the_archive_are_refused(archive: Path) -> None:
    assert _reason(archive, "../outside.txt") == Reason.PATH_ESCAPE
    assert _reason(archive, "files/../../outside.txt") == Reason.PATH_ESCAPE
    assert _reason(archive, "/etc/passwd") == Reason.PATH_ESCAPE
    assert _reason(archive, "C:\\Windows\\win.ini") == Reason.PATH_ESCAPE


def test_links_that_leave_the_archive_are_refused(archive: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside.txt", archive / "files" / "link.txt")
    os.symlink(tmp_path, archive / "files" / "up")
    assert _reason(archive, "files/link.txt") == Reason.PATH_ESCAPE
    assert _reason(archive, "files/up/outside.txt") == Reason.PATH_ESCAPE


def test_links_inside_the_archive_are_followed(archive: Path) -> None:
    os.symlink(archive / "files" / "Person 1", archive / "files" / "alias")
    found = resolve_path(archive, "files/alias/letter.pdf", MAPPING)
    assert found == (archive / "files" / "Person 1" / "letter.pdf").resolve()


def test_missing_files_and_things_that_are_not_files(archive: Path) -> None:
    os.mkfifo(archive / "files" / "pipe")
    assert _reason(archive, "files/nothing.pdf") == Reason.MISSING_FILE
    assert _reason(archive, "files/pipe") == Reason.MISSING_FILE
    assert _reason(archive, "files/Person 1") == Reason.MISSING_FILE


def test_case_is_ignored_only_where_the_mapping_says(archive: Path) -> None:
    strict = dataclasses.replace(MAPPING, case_insensitive_paths=False)
    loose = dataclasses.replace(MAPPING, case_insensitive_paths=True)
    assert _reason(archive, "FILES/person 1/LETTER.PDF", strict) == Reason.MISSING_FILE
    found = resolve_path(archive, "FILES/person 1/LETTER.PDF", loose)
    assert found == (archive / "files" / "Person 1" / "letter.pdf").resolve()


@pytest.mark.parametrize("file_path", ["files/Person 1/letter.pdf\x00.txt", "files/\x1b[2J.pdf"])
def test_a_path_with_a_control_character_never_reaches_the_os(
    archive: Path, file_path: str
) -> None:
    # A row registered before the manifest was checked: a NUL raised ValueError from the OS
    # call and stopped the whole batch, on every rerun.
    assert _reason(archive, file_path) == Reason.BAD_ROW


def test_an_absolute_legacy_path_says_how_to_re_root_it(archive: Path) -> None:
    """A UNC share or a drive letter from the old file server: the refusal named the path but
    not the mapping key that re-roots it."""
    for path in ("\\\\oldserver\\escr$\\files\\Person 1\\letter.pdf", "D:\\ESCR\\letter.pdf"):
        with pytest.raises(Quarantine) as caught:
            resolve_path(archive, path, MAPPING)
        assert caught.value.outcome.reason == Reason.PATH_ESCAPE
        assert "strip_path_prefixes" in caught.value.outcome.detail
    mapping = dataclasses.replace(MAPPING, strip_path_prefixes=("\\\\OLDSERVER\\escr$\\",))
    found = resolve_path(archive, "\\\\oldserver\\escr$\\files\\Person 1\\letter.pdf", mapping)
    assert found.name == "letter.pdf"


def test_a_name_in_another_unicode_form_is_found(archive: Path) -> None:
    """Files copied from a Mac keep their accented names decomposed (NFD), while the manifest
    writes them composed (NFC): the same name on screen was a missing_file."""
    decomposed = unicodedata.normalize("NFD", "Référé Zoë")
    (archive / "files" / decomposed).mkdir()
    (archive / "files" / decomposed / "lettre.pdf").write_bytes(b"%PDF-1.4 lettre")
    found = resolve_path(archive, "files\\RÉFÉRÉ ZOË\\Lettre.pdf", MAPPING)
    assert found == (archive / "files" / decomposed / "lettre.pdf").resolve()
    assert resolve_path(archive, "files/Référé Zoë/lettre.pdf", MAPPING) == found


def test_a_percent_encoded_path_is_found_where_the_plain_one_is_not(archive: Path) -> None:
    """Web-based document stores export links' paths ("Person%201/letter.pdf"): a
    missing_file beside the very file. A name that truly holds a % is still found as it is."""
    found = resolve_path(archive, "files/Person%201/letter.pdf", MAPPING)
    assert found == (archive / "files" / "Person 1" / "letter.pdf").resolve()
    (archive / "files" / "100% review.pdf").write_bytes(b"%PDF-1.4")
    assert resolve_path(archive, "files/100% review.pdf", MAPPING).name == "100% review.pdf"
    # Decoding never leaves the archive, nor lets a control character through.
    assert _reason(archive, "files/%2e%2e/%2e%2e/outside.txt") == Reason.PATH_ESCAPE
    assert _reason(archive, "files/Person%201/letter.pdf%00") == Reason.MISSING_FILE
