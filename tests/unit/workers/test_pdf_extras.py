"""A PDF's form answers (AcroForm field values) are read into its text, and its embedded files
become attachments (child documents), under the archive limits (issue 13, section 2).

The form is a real OpenOffice export from pypdf's test resources, filled with pypdf's form API;
the PDFs with embedded files are fpdf2 letters given files with pypdf's add_attachment."""

from __future__ import annotations

import io
import os
import shutil
from datetime import date
from pathlib import Path

import pypdf
from PIL import Image

from workers.extract.base import TEXT_LAYERS, Limits
from workers.extract.registry import extract_file
from workers.synth import files as sf

FORM = Path(__file__).parents[2] / "fixtures" / "pdf" / "FormTestFromOo.pdf"


def _doc(word: str) -> sf.TextDoc:
    return sf.TextDoc("Letter", [f"Ref {word}"], [f"Noted {word}."], date(2020, 5, 4), "Sam")


def _with_files(pdf: bytes, files: dict[str, bytes]) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    for name, data in files.items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_filled_forms_answers_are_in_its_text(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(FORM))
    writer.update_page_form_field_values(
        writer.pages[0],
        {"Text1": "Grandmother visits weekly", "CheckBox1": "/Yes", "Combo1": "combo Line 2"},
        auto_regenerate=False,
    )
    path = tmp_path / "form.pdf"
    with path.open("wb") as out:
        writer.write(out)
    result = extract_file(str(path), "application/pdf", Limits(), str(tmp_path))
    assert result.ok
    lines = result.text.splitlines()
    assert "Text1: Grandmother visits weekly" in lines
    assert "CheckBox1: Yes" in lines
    assert "Combo1: combo Line 2" in lines
    assert not any(line.startswith(("Text2:", "RadioGroup1:")) for line in lines)  # unanswered
    blank = tmp_path / "blank.pdf"
    shutil.copy(FORM, blank)
    unfilled = extract_file(str(blank), "application/pdf", Limits(), str(tmp_path))
    assert "Text1:" not in unfilled.text


def test_embedded_files_become_attachments(tmp_path: Path) -> None:
    docx = sf.docx_bytes(_doc("embeddedword"))
    path = tmp_path / "letter.pdf"
    path.write_bytes(
        _with_files(sf.pdf_bytes(_doc("outerword")), {"referral.docx": docx, "notes.txt": b"hi"})
    )
    job = tmp_path / "job"
    job.mkdir()
    result = extract_file(str(path), "application/pdf", Limits(), str(job))
    assert result.ok and "outerword" in result.text
    found = {a.name: Path(a.path).read_bytes() for a in result.attachments}
    assert found == {"referral.docx": docx, "notes.txt": b"hi"}
    assert (
        "Embedded files:\nreferral.docx" in result.text
        or "Embedded files:\nnotes.txt" in result.text
    )
    assert all(Path(a.path).parent == job for a in result.attachments)


def test_an_embedded_file_past_the_limit_is_refused_and_the_pdf_still_read(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    path.write_bytes(
        _with_files(sf.pdf_bytes(_doc("stillread")), {"dump.bin": os.urandom(2 * 2**20)})
    )
    job = tmp_path / "job"
    job.mkdir()
    result = extract_file(str(path), "application/pdf", Limits(max_unpacked_mb=1), str(job))
    assert result.ok and "stillread" in result.text
    assert result.attachments == []
    assert "Embedded files refused: an embedded file of 2,097,152 bytes" in result.text
    assert list(job.iterdir()) == []


def test_a_first_pass_that_leaves_pages_for_ocr_keeps_no_files(tmp_path: Path) -> None:
    scan = sf.scan_pdf_bytes([Image.new("L", (400, 500), 255)], date(2020, 1, 1))
    path = tmp_path / "scan.pdf"
    path.write_bytes(_with_files(scan, {"notes.txt": b"attached to a scan"}))
    job = tmp_path / "job"
    job.mkdir()
    result = extract_file(str(path), "application/pdf", Limits(), str(job), TEXT_LAYERS)
    assert result.ok and result.pending_ocr == [1]
    assert result.attachments == [] and list(job.iterdir()) == []
