"""The synthetic archive's realistic profile: born-digital documents as long as real ones."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pypdfium2
import pytest

from domain.nhs import nhs_numbers_in_text
from workers.classify import classify
from workers.sources.mapping import load_mapping
from workers.synth.archive import SyntheticArchive, make_archive
from workers.synth.text import HISTORY, NEUTRAL

MAPPING = load_mapping()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> SyntheticArchive:
    return make_archive(
        tmp_path_factory.mktemp("realistic"), seed=9, people=30, docs=120, profile="realistic"
    )


def _rows(archive: SyntheticArchive) -> list[dict[str, str]]:
    with archive.manifest_path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pages(path: Path) -> list[str]:
    document = pypdfium2.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def test_documents_are_as_long_as_real_ones(archive: SyntheticArchive) -> None:
    rows = _rows(archive)
    texts = {row["file_path"]: _pages(archive.root / row["file_path"]) for row in rows}
    pages = [len(t) for t in texts.values()]
    kbytes = [sum(map(len, t)) / 1000 for t in texts.values()]
    assert min(pages) >= 1 and max(pages) <= 20
    assert min(kbytes) >= 1.5 and max(kbytes) <= 40
    assert 3 <= statistics.median(pages) <= 5  # letters and notes outnumber the long reports
    assert sum(p >= 10 for p in pages) >= 0.05 * len(pages)  # assessments, court reports
    # Born-digital through and through: no page is blank (PDF extraction would OCR it).
    assert all(len(page.strip()) >= 3 for t in texts.values() for page in t)


def test_every_row_is_an_indexed_pdf_and_the_phrase_is_at_the_end(
    archive: SyntheticArchive,
) -> None:
    rows = {row["source_document_id"]: row for row in _rows(archive)}
    assert len(rows) == len(archive.expected) == 120
    for expected in archive.expected:
        assert expected.expected_state == "indexed"
        row = rows[expected.source_document_id]
        assert row["file_path"].endswith(".pdf")
        pages = _pages(archive.root / row["file_path"])
        # Last but for a letter's sign-off, which may run onto a page of its own.
        assert expected.phrase in " ".join(" ".join(pages[-2:]).split())
        assert len(pages) < 3 or expected.phrase not in " ".join(pages[:-2])


def test_the_text_carries_names_dates_addresses_and_nhs_numbers(
    archive: SyntheticArchive,
) -> None:
    texts = [" ".join(_pages(archive.root / row["file_path"])) for row in _rows(archive)]
    with_nhs = sum(bool(nhs_numbers_in_text(text)) for text in texts)
    assert with_nhs >= 0.3 * len(texts)
    assert all("Date of birth" in t or "Name:" in t for t in texts)
    assert sum(" Road" in t or " Lane" in t or " Street" in t for t in texts) > 0.8 * len(texts)


def test_the_wording_added_for_length_names_no_document_type() -> None:
    """The case history must not pull a document towards any type: its type's own words decide."""
    fields = {
        "first": "Ava",
        "name": "Ava Hall",
        "worker": "Sam Okoro",
        "date": "01/02/2019",
        "visit": "03/04/2018",
        "address": "1 Mill Lane, Eastfield SY1 2AB",
        "address2": "2 Fern Grove, Ashcombe SY2 3CD",
        "relative": "Mrs Hall",
        "surname": "Hall",
        "phone": "07123 456789",
        "street": "Kingsway",
        "team": "Reablement Team",
        "ref": "H12/345678",
    }
    for sentence in (*HISTORY, *NEUTRAL):
        text = sentence.format(**fields)
        found = classify(legacy_doc_type="", title="", text=text, mime="", mapping=MAPPING)
        assert found.doc_type == "other", (text, found.reason)


def test_uncoded_documents_classify_by_their_words(archive: SyntheticArchive) -> None:
    """Long documents of case history still classify as their type from their words alone."""
    rows = {row["source_document_id"]: row for row in _rows(archive)}
    checked = 0
    for expected in archive.expected:
        row = rows[expected.source_document_id]
        if row["legacy_doc_type"] or expected.doc_type == "other":
            continue
        text = "\n".join(_pages(archive.root / row["file_path"]))
        found = classify(legacy_doc_type="", title="", text=text, mime="", mapping=MAPPING)
        assert found.doc_type == expected.doc_type, (row["file_path"], found.reason)
        checked += 1
    assert checked >= 5


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown profile 'thick'"):
        make_archive(tmp_path, docs=5, profile="thick")
