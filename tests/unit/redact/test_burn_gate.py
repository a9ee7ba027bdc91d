"""Burned in, and proved (issue 15): a name hidden in each place a PDF can hold text is gone
from the burned file by every route of reading it, and the release gate refuses a file that
still holds it, whatever was done to it after the burn."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from domain.redaction import contains_any, fold
from tests.factories.hiding_places import HIDING_PLACES, NAME, split_runs
from workers.extract.base import Limits
from workers.redact.base import Box, RedactRequest
from workers.redact.gate import check_pdf
from workers.redact.run import redact_file
from workers.sandbox import SandboxPool

TERMS = (NAME,)


def _everything_readable(path: Path) -> str:
    """What a person with ordinary tools reads out of a PDF, independently of the gate."""
    parts = [path.read_bytes().decode("latin-1")]
    document = pdfium.PdfDocument(str(path))
    for page in document:
        parts.append(page.get_textpage().get_text_range())
        image = page.render(scale=200 / 72).to_pil()
        parts.append(pytesseract.image_to_string(image))
    reader = PdfReader(path)
    parts += [page.extract_text() for page in reader.pages]
    parts.append(repr(reader.metadata) + repr(reader.get_fields()) + repr(reader.outline))
    parts += [b.decode("latin-1") for bs in reader.attachments.values() for b in bs]
    with pikepdf.open(path) as pdf:
        streams = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)]
        # Images are read above by OCR; their raw bytes are in the file's bytes.
        parts += [
            o.read_bytes().decode("latin-1") for o in streams if o.get("/Subtype") != "/Image"
        ]
    return "\n".join(parts)


def _source_holds(path: Path) -> bool:
    """The source file holds the name somewhere (so each case tests something)."""
    data = path.read_bytes()
    with pikepdf.open(path) as pdf:
        streams = [o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream)]
    reader = PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    blobs = [data, *streams, text.encode("utf-8", "replace"), repr(reader.metadata).encode()]
    blobs += [b for bs in reader.attachments.values() for b in bs]
    if bool(contains_any("\n".join(b.decode("latin-1") for b in blobs), TERMS)):
        return True
    image = pdfium.PdfDocument(str(path))[0].render(scale=200 / 72).to_pil()
    return bool(contains_any(pytesseract.image_to_string(image), TERMS))


@pytest.mark.parametrize("place", list(HIDING_PLACES))
def test_each_hiding_place_is_burned_out(place: str, tmp_path: Path) -> None:
    make, shown = HIDING_PLACES[place]
    source = make(tmp_path / "source.pdf")
    assert _source_holds(source), f"the {place} fixture does not hold the name"
    out = tmp_path / "out.pdf"
    result = redact_file(RedactRequest(str(source), str(out), terms=TERMS), Limits())
    assert result.ok, result.detail
    assert result.leaks == []
    # Where the page showed the name, a box was drawn and the page read again by OCR.
    assert bool(result.drawn) == shown
    if shown:
        assert 0 in result.ocr_pages
    assert contains_any(_everything_readable(out), TERMS) == []
    # The rest of the page is still there to read.
    assert "allocated" in pytesseract.image_to_string(
        pdfium.PdfDocument(str(out))[0].render(scale=200 / 72).to_pil()
    ) or place in ("invisible OCR layer", "annotation", "form field")


def test_a_name_split_across_runs_and_lines_is_one_hit() -> None:
    text = "the caller, Ja ne\r\nMar\ufffelow of the same street"
    assert contains_any(text, TERMS) == [NAME]
    # ...and a name inside a longer word is not (Ann is not in Annual).
    assert contains_any("Annual review", ("Ann",)) == []
    assert fold("Zoë O'Brien").chars == "zoeobrien"


def test_the_burn_runs_in_the_sandbox(tmp_path: Path) -> None:
    source = split_runs(tmp_path / "source.pdf")
    out = tmp_path / "out.pdf"
    with SandboxPool(1, Limits(timeout_s=60), tmp_path) as pool:
        result = pool.redact(RedactRequest(str(source), str(out), terms=TERMS)).result()
        broken = tmp_path / "broken.pdf"
        broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 500)
        failed = pool.redact(RedactRequest(str(broken), str(tmp_path / "b.pdf"), terms=TERMS))
        failed_result = failed.result()
    assert result.ok and result.drawn
    assert failed_result.ok is False and failed_result.reason == "corrupt"


def test_a_reviewers_box_is_burned_into_the_pixels(tmp_path: Path) -> None:
    source = HIDING_PLACES["text layer"][0](tmp_path / "source.pdf")
    out = tmp_path / "out.pdf"
    # The whole top half of the page (points from the top left), where all three lines are.
    box = Box(0, 0, 0, 595, 421)
    result = redact_file(RedactRequest(str(source), str(out), boxes=(box,)), Limits())
    assert result.ok and result.ocr_pages == [0]
    image = pdfium.PdfDocument(str(out))[0].render(scale=1).to_pil().convert("L")
    assert image.getpixel((300, 100)) < 10  # black where the box is
    assert pytesseract.image_to_string(image).strip() == ""


# The planted leaks: a clean burned file, then tampered with after the burn.
def _burned(tmp_path: Path) -> Path:
    source = HIDING_PLACES["text layer"][0](tmp_path / "source.pdf")
    out = tmp_path / "out.pdf"
    assert redact_file(RedactRequest(str(source), str(out), terms=TERMS), Limits()).ok
    assert check_pdf(out, TERMS, ocr_pages=[0]).problems == []
    return out


def _add_annotation(path: Path) -> None:
    from pypdf.annotations import FreeText

    writer = PdfWriter(clone_from=PdfReader(path))
    writer.add_annotation(0, FreeText(text=NAME, rect=(10, 10, 200, 40)))
    writer.write(path)


def _add_metadata(path: Path) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Subject"] = NAME
        pdf.save(path)


def _append_revision(path: Path) -> None:
    writer = PdfWriter(path, incremental=True)
    writer.add_metadata({"/Keywords": "x"})
    writer.write(path)


def _hidden_text(path: Path) -> None:
    """White text under the image: invisible on the page, there for copy and paste."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        page.obj.Resources.Font = pikepdf.Dictionary(F1=font)
        page.contents_add(
            pikepdf.Stream(pdf, f"BT /F1 1 Tf 3 Tr 5 5 Td ({NAME}) Tj ET".encode()), prepend=True
        )
        pdf.save(path)


def _pixels(path: Path) -> None:
    """The name drawn back into the page image, no text anywhere: only OCR sees it."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        image_obj = next(iter(pdf.pages[0].obj.Resources.XObject.values()))
        image = Image.open(io.BytesIO(image_obj.read_raw_bytes())).convert("RGB")
        draw = ImageDraw.Draw(image)
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
        draw.rectangle((100, 1500, 1400, 1600), fill="white")
        draw.text((120, 1520), f"Called by {NAME}", fill="black", font=font)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=90)
        image_obj.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
        image_obj.ColorSpace = pikepdf.Name.DeviceRGB
        pdf.save(path)


def _attachment(path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(path))
    writer.add_attachment("a.txt", NAME.encode("utf-16"))
    writer.write(path)


@pytest.mark.parametrize(
    "tamper", [_add_annotation, _add_metadata, _append_revision, _hidden_text, _pixels, _attachment]
)
def test_the_gate_refuses_a_planted_leak(tamper, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = _burned(tmp_path)
    tamper(out)
    verdict = check_pdf(out, TERMS, ocr_pages=[0])
    assert verdict.problems, f"{tamper.__name__} was not seen"
    if tamper is not _append_revision:
        assert any("redacted term" in p for p in verdict.problems), verdict.problems


def test_a_page_keeps_its_colour_only_where_it_has_some(tmp_path: Path) -> None:
    """A black-and-white page is written grey (a third of the bytes); a page with a small red
    logo stays colour, so the burn never drops what the reviewer saw."""
    from fpdf import FPDF

    source = tmp_path / "two.pdf"
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Visit note. Allocated to the duty team.")
    pdf.add_page()
    pdf.set_fill_color(200, 30, 30)
    pdf.rect(10, 10, 8, 8, style="F")  # a small council logo
    pdf.multi_cell(0, 6, "Letter with the council's logo.")
    pdf.output(str(source))
    out = tmp_path / "out.pdf"
    assert redact_file(RedactRequest(str(source), str(out), terms=TERMS), Limits()).ok
    with pikepdf.open(out) as burned:
        spaces = [
            str(next(iter(page.obj.Resources.XObject.values())).ColorSpace) for page in burned.pages
        ]
    assert spaces == ["/DeviceGray", "/DeviceRGB"]
