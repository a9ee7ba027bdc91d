"""The synthetic archive: deterministic, complete, and its ground truth agrees with its files."""

from __future__ import annotations

import csv
import email
import hashlib
import io
import re
from email.message import Message
from pathlib import Path

import docx
import pypdf
import pytest
import yaml
from PIL import Image

from core.states import Reason
from tests.factories.archive import SyntheticArchive, make_archive

MAPPING = Path(__file__).parents[3] / "workers" / "sources" / "default_mapping.yaml"
NHS_IN_TEXT = re.compile(r"(?<!\d)(\d{3}) ?(\d{3}) ?(\d{4})(?!\d)")
SUBJECT_IN_TEXT = re.compile(r"Name: (.+)\nDate of birth: (\d\d/\d\d/\d{4})")


def _dmy(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> SyntheticArchive:
    return make_archive(tmp_path_factory.mktemp("synth"), seed=3, people=12, docs=60)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _nhs_ok(number: str) -> bool:
    # Written out again here, not imported, so the generator cannot agree with itself.
    if not re.fullmatch(r"\d{10}", number) or len(set(number)) == 1:
        return False
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(number[:9])) % 11
    return check != 10 and check % 11 == int(number[9])


def _email_text(data: bytes) -> str:
    msg = email.message_from_bytes(data)
    parts = [msg.get("Subject", "")]
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes) and isinstance(part, Message)
            parts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(parts)


def _text(path: Path) -> str:
    """The text a document's extractor would find (scans have none without OCR)."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF"):
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    if suffix == ".docx":
        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    if suffix == ".eml":
        return _email_text(data)
    if suffix in (".txt", ".htm", ".rtf"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252")
    return ""


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = make_archive(tmp_path / "a", seed=5, people=10, docs=45)
    second = make_archive(tmp_path / "b", seed=5, people=10, docs=45)
    other = make_archive(tmp_path / "c", seed=6, people=10, docs=45)
    assert _digests(first.root) == _digests(second.root)
    assert _digests(first.root) != _digests(other.root)


def test_every_manifest_row_has_one_expected_line(archive: SyntheticArchive) -> None:
    manifest = _read(archive.manifest_path)
    expected = _read(archive.expected_path)
    assert len(manifest) == len(expected) == len(archive.expected) == 60
    for n, (row, exp) in enumerate(zip(manifest, expected, strict=True), start=1):
        assert exp["line_no"] == str(n + 1)  # file lines: the header is line 1
        assert (exp["source_system"], exp["source_document_id"]) == (
            row["source_system"],
            row["source_document_id"],
        )
    assert [e.phrase for e in archive.expected] == [e["phrase"] for e in expected]


def test_files_exist_where_they_should(archive: SyntheticArchive) -> None:
    manifest = _read(archive.manifest_path)
    for row, exp in zip(manifest, archive.expected, strict=True):
        path = archive.root / row["file_path"]
        assert "\\" not in row["file_path"]
        if exp.expected_reason == Reason.PATH_ESCAPE:
            assert row["file_path"].startswith("../")
        elif exp.expected_reason == Reason.MISSING_FILE:
            assert not path.exists()
        else:
            assert path.is_file(), row["file_path"]
            assert row["file_path"].startswith("files/")


def test_phrases_are_in_the_extractable_text(archive: SyntheticArchive) -> None:
    manifest = _read(archive.manifest_path)
    checked = 0
    for row, exp in zip(manifest, archive.expected, strict=True):
        if not exp.phrase:
            continue
        text = _text(archive.root / row["file_path"])
        if exp.phrase.isupper():  # a scan: no text layer, the phrase is for OCR
            assert exp.phrase not in text.upper()
        else:
            assert exp.phrase in text, row["file_path"]
            checked += 1
    assert checked >= 35


def test_people_have_valid_unique_nhs_numbers(archive: SyntheticArchive) -> None:
    people = _read(archive.people_path)
    assert len(people) == 12
    numbers = [p["nhs_number"] for p in people]
    assert all(_nhs_ok(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    for p in people:
        assert re.fullmatch(r"(MOS|LCS)\d{6}", p["person_id"])
        assert p["service"] in ("children", "adults")
        assert all(re.fullmatch(r"(PARIS|CAREFIRST):\w+", x) for x in p["legacy_ids"].split(";"))


def test_all_defects_are_present(archive: SyntheticArchive) -> None:
    manifest = _read(archive.manifest_path)
    reasons = {e.expected_reason for e in archive.expected}
    assert {r.value for r in Reason if r not in _NOT_GENERATED} <= reasons
    by_reason = {e.expected_reason: row for row, e in zip(manifest, archive.expected, strict=True)}
    root = archive.root
    assert (root / by_reason[Reason.EMPTY_FILE]["file_path"]).stat().st_size == 0
    assert len((root / by_reason[Reason.CORRUPT]["file_path"]).read_bytes()) == 200
    assert pypdf.PdfReader(root / by_reason[Reason.ENCRYPTED]["file_path"]).is_encrypted
    bad = by_reason[Reason.CHECKSUM_MISMATCH]
    assert bad["sha256"] != hashlib.sha256((root / bad["file_path"]).read_bytes()).hexdigest()
    unsupported = root / by_reason[Reason.UNSUPPORTED_TYPE]["file_path"]
    assert unsupported.read_bytes()[4:19] == b"Standard Jet DB"  # an Access database
    disguised = [r for r in manifest if r["file_path"].endswith(".doc")]
    assert len(disguised) == 1 and (root / disguised[0]["file_path"]).read_bytes()[:5] == b"%PDF-"


_NOT_GENERATED = {
    Reason.BAD_ROW,
    Reason.TIMEOUT,
    Reason.MEMORY_LIMIT,
    Reason.TOO_LARGE,
    Reason.NO_TEXT,
    Reason.INTERNAL_ERROR,
    # Random bytes named .pdf: made by tests/unit/access/test_container_load.py instead.
    Reason.UNREADABLE,
}


def test_duplicates(archive: SyntheticArchive) -> None:
    manifest = _read(archive.manifest_path)
    repeated = [i for i, e in enumerate(archive.expected) if e.expected_reason == "same_source_id"]
    assert len(repeated) == 1
    line = manifest[repeated[0]]
    earlier = manifest[: repeated[0]]
    assert line in earlier and archive.expected[repeated[0]].expected_state == "duplicate"
    groups: dict[str, set[str]] = {}
    for e in archive.expected:
        if e.expected_state == "indexed":
            groups.setdefault(e.content_group, set()).add(e.person_ids)
    shared = [people for people in groups.values() if len(people) > 1]
    # One file on two people's records: its subject's, and another's where it is withheld
    # (its text names its subject, who is not that person: a subject_mismatch to review).
    assert len(shared) == 1 and sorted(shared[0])[0] == "" and all(sorted(shared[0])[1:])


def test_the_kind_mix(archive: SyntheticArchive) -> None:
    files = [p for p in archive.root.rglob("*") if p.is_file() and "files" in p.parts]
    suffixes = {p.suffix for p in files}
    assert {".pdf", ".tif", ".jpg", ".png", ".docx", ".rtf", ".eml", ".htm", ".txt"} <= suffixes
    scan_pdfs = [p for p in files if p.suffix == ".pdf" and p.stat().st_size > 0]
    scan_pdfs = [p for p in scan_pdfs if p.read_bytes().count(b"/Subtype /Image")]
    assert scan_pdfs
    frames = []
    for tiff in (p for p in files if p.suffix == ".tif"):
        with Image.open(tiff) as image:
            frames.append(getattr(image, "n_frames", 1))
    assert 2 in frames
    raw = [p.read_bytes() for p in files if p.suffix == ".txt"]
    assert any(b"\x93" in r and b"\xa3" in r for r in raw)  # cp1252 curly quote and pound sign


def _crosswalk(people: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    walk = {}
    for p in people:
        for entry in p["legacy_ids"].split(";"):
            system, legacy = entry.split(":")
            walk[system.upper(), _norm(legacy)] = p["person_id"]
    return walk


def _norm(legacy: str) -> str:
    text = legacy.strip().upper()
    return text.lstrip("0") or "0" if text.isdigit() else text


def test_links_follow_the_rules(archive: SyntheticArchive) -> None:
    manifest = _read(archive.manifest_path)
    people = _read(archive.people_path)
    walk = _crosswalk(people)
    owner = {p["nhs_number"]: p["person_id"] for p in people}
    # Who a letter's "Name: ... / Date of birth: dd/mm/yyyy" header names, if a catalog person.
    named = {
        (f"{p['given_name']} {p['family_name']}", _dmy(p["date_of_birth"])): p["person_id"]
        for p in people
    }
    outcomes = {"conflict": 0, "own": 0, "siblings": 0, "padded": 0, "misfiled": 0}
    for row, exp in zip(manifest, archive.expected, strict=True):
        if exp.expected_state != "indexed":
            continue
        ids = [x for x in row["legacy_person_id"].split(";") if x.strip()]
        linked = {walk[k] for x in ids if (k := (row["source_system"], _norm(x))) in walk}
        text = _text(archive.root / row["file_path"])
        quoted = {owner.get("".join(m.groups())) for m in NHS_IN_TEXT.finditer(text)} - {None}
        if quoted - linked and linked:
            linked, outcomes["conflict"] = set(), outcomes["conflict"] + 1
        subject = SUBJECT_IN_TEXT.search(text)
        about = named.get(subject.groups()) if subject else None
        if about and linked and about not in linked:  # someone else's letter: withheld
            linked, outcomes["misfiled"] = set(), outcomes["misfiled"] + 1
        outcomes["own"] += bool(quoted and quoted <= linked)
        outcomes["siblings"] += len(linked) == 2
        outcomes["padded"] += any(x != x.strip() or x.startswith("0") for x in ids)
        assert exp.person_ids == ";".join(sorted(linked)), row["source_document_id"]
    assert outcomes["conflict"] >= 2 and outcomes["own"] >= 3 and outcomes["siblings"] >= 1
    assert outcomes["misfiled"] == 1  # the letter repeated on another person's record
    assert outcomes["padded"] >= 3


def test_uncoded_rows_can_be_classified_by_keywords(archive: SyntheticArchive) -> None:
    mapping = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    codes = {c.upper() for c in mapping["legacy_types"]}
    rules = {
        t: [re.compile(rf"(?<!\w){re.escape(k)}(?!\w)") for k in ks]
        for t, ks in mapping["keywords"].items()
    }
    uncoded = 0
    for row, exp in zip(_read(archive.manifest_path), archive.expected, strict=True):
        if exp.expected_state != "indexed" or row["legacy_doc_type"].strip().upper() in codes:
            continue
        uncoded += 1
        words = f"{row['legacy_doc_type']} {row['title']}\n{_text(archive.root / row['file_path'])}"
        hits = {t: sum(bool(r.search(words.lower())) for r in rs) for t, rs in rules.items()}
        assert hits[exp.doc_type] >= 2, row["title"]
        assert not any(n for t, n in hits.items() if t != exp.doc_type), (row["title"], hits)
    assert uncoded >= 0.2 * 60 - 3


def test_a_small_archive_still_works(tmp_path: Path) -> None:
    small = make_archive(tmp_path, seed=1, people=3, docs=5)
    assert len(_read(small.manifest_path)) == 5
    assert {e.expected_state for e in small.expected} == {"indexed"}
