"""PDFs that hide a third party's name in each place a redaction can miss it (issue 15,
"Burned in, and proved"), made with real tools: fpdf2 writes the pages, Tesseract the scan's
invisible OCR layer, pypdf the annotations, attachments, outline, metadata and the incremental
update, pikepdf the form field and the XMP.

Each maker writes one PDF to `path` and returns it; the name is always NAME (or its parts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

NAME = "Jane Marlow"
OTHER = "The allocated worker visited the family home on Tuesday."


def _fpdf(lines: list[str], path: Path, *, outline: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    if outline:
        pdf.start_section(outline)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def text_layer(path: Path) -> Path:
    return _fpdf([OTHER, f"Referral made by {NAME} (neighbour).", OTHER], path)


def split_runs(path: Path) -> Path:
    """The name written as separate text runs, and across a line break."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 8, OTHER, new_x="LMARGIN", new_y="NEXT")
    first, family = NAME.split()
    # "Ja" and "ne Marlow" as two runs side by side; then the name broken across two lines.
    pdf.set_xy(20, 40)
    pdf.write(8, first[:2])
    pdf.set_xy(20 + pdf.get_string_width(first[:2]), 40)
    pdf.write(8, first[2:] + " " + family + " was")
    pdf.set_xy(120, 40)
    pdf.write(8, "the caller, " + first)
    pdf.set_xy(20, 48)
    pdf.write(8, family + " of the same street.")
    pdf.output(str(path))
    return path


def hyphenated(path: Path) -> Path:
    family = NAME.split()[1]
    return _fpdf(
        [
            OTHER,
            f"The concern was raised by {NAME.split()[0]} {family[:3]}-",
            f"{family[3:]} today.",
        ],
        path,
    )


def ocr_layer(path: Path) -> Path:
    """A scan: the name only in the pixels and in Tesseract's invisible text layer."""
    import pytesseract
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
    draw.text((150, 200), "Case note", font=font, fill=0)
    draw.text((150, 300), f"Telephone call from {NAME} about the children.", font=font, fill=0)
    draw.text((150, 400), OTHER, font=font, fill=0)
    scan = path.with_suffix(".png")
    image.save(scan, dpi=(200, 200))
    path.write_bytes(pytesseract.image_to_pdf_or_hocr(str(scan), extension="pdf"))
    scan.unlink()
    return path


def annotated(path: Path) -> Path:
    """A FreeText annotation drawn on the page, and a sticky note whose popup holds the name."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText, Popup, Text

    base = _fpdf([OTHER, "See the note in the margin."], path.with_suffix(".base.pdf"))
    writer = PdfWriter(clone_from=PdfReader(base))
    writer.add_annotation(0, FreeText(text=f"Caller: {NAME}", rect=(50, 600, 300, 640)))
    note = writer.add_annotation(
        0, Text(rect=(400, 700, 420, 720), text=f"Ask {NAME} again", open=False)
    )
    writer.add_annotation(0, Popup(rect=(420, 650, 560, 720), parent=note))
    writer.write(path)
    base.unlink()
    return path


def form_field(path: Path) -> Path:
    """A filled text field: the value in /V and in the widget's appearance stream."""
    import pikepdf
    from pikepdf import Dictionary, Name

    base = _fpdf([OTHER, "Referrer:"], path.with_suffix(".base.pdf"))
    with pikepdf.open(base) as pdf:
        font = pdf.make_indirect(
            Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
        )
        appearance = pikepdf.Stream(
            pdf, f"/Tx BMC BT /Helv 12 Tf 2 6 Td ({NAME}) Tj ET EMC".encode()
        )
        appearance.Type, appearance.Subtype = Name.XObject, Name.Form
        appearance.BBox = [0, 0, 200, 24]
        appearance.Resources = Dictionary(Font=Dictionary(Helv=font))
        widget = pdf.make_indirect(
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Widget,
                FT=Name.Tx,
                T=pikepdf.String("referrer"),
                V=pikepdf.String(NAME),
                Rect=[100, 700, 300, 724],
                F=4,
                DA=pikepdf.String("/Helv 12 Tf 0 g"),
                AP=Dictionary(N=appearance),
                P=pdf.pages[0].obj,
            )
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([widget]))
        pdf.Root.AcroForm = Dictionary(
            Fields=[widget],
            DA=pikepdf.String("/Helv 12 Tf 0 g"),
            DR=Dictionary(Font=Dictionary(Helv=font)),
        )
        pdf.save(path)
    base.unlink()
    return path


def attachment(path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    base = _fpdf([OTHER], path.with_suffix(".base.pdf"))
    writer = PdfWriter(clone_from=PdfReader(base))
    writer.add_attachment("referral.txt", f"Referral by {NAME}, 4 Elm Road.".encode())
    writer.write(path)
    base.unlink()
    return path


def outline(path: Path) -> Path:
    return _fpdf([OTHER], path, outline=f"Call from {NAME}")


def metadata(path: Path) -> Path:
    """The name in the document information and in the XMP packet."""
    import pikepdf

    base = _fpdf([OTHER], path.with_suffix(".base.pdf"))
    with pikepdf.open(base) as pdf:
        pdf.docinfo["/Author"] = NAME
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = [NAME]
            meta["dc:description"] = f"Notes taken by {NAME}"
        pdf.save(path)
    base.unlink()
    return path


def earlier_revision(path: Path) -> Path:
    """The name written in the first revision, replaced by an incremental update: a reader
    shows the second, the file's bytes still hold the first."""
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, NameObject

    base = _fpdf([OTHER, f"Referred by {NAME}."], path.with_suffix(".base.pdf"))
    writer = PdfWriter(base, incremental=True)
    page = writer.pages[0]
    content = ContentStream(page.get_contents(), writer)
    data = content.get_data().replace(NAME.encode(), b"[withheld by author]")
    content.set_data(data)
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.write(path)
    base.unlink()
    return path


# Where the name is, and whether the page as shown still shows it (then a box must be drawn).
HIDING_PLACES: dict[str, tuple[Callable[[Path], Path], bool]] = {
    "text layer": (text_layer, True),
    "split across runs and lines": (split_runs, True),
    "hyphenated": (hyphenated, True),
    "invisible OCR layer": (ocr_layer, True),
    "annotation": (annotated, True),
    "form field": (form_field, True),
    "attachment": (attachment, False),
    "outline": (outline, False),
    "metadata and XMP": (metadata, False),
    "earlier revision": (earlier_revision, False),
}
