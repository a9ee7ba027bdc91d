"""A small archive of the kinds of file the document viewer must show, each made by the tool
that makes such files in the wild: a born-digital PDF (fpdf2), a multi-page fax TIFF (Pillow,
CCITT G4), a Word 97-2003 .doc (LibreOffice, from HTML), an email with an attachment (the
standard library), and a 200-page PDF. One word, KEYWORD, is past the first page of each of
the four, so a search for it leads to a page that is not the first."""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

KEYWORD = "kestrel"
PERSON = "VIEW1"
TEAM = "Children West"
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    f"nhs_number,service,team\n{PERSON},Mosaic,PARIS:1,Ann,Ash,2010-01-01,,,children,{TEAM}\n"
)
# Page by page: what each page of the PDF, TIFF and DOC says. Page 2 holds the keyword.
PAGES = [
    [
        "Initial assessment of the family home.",
        "The social worker visited on a weekday afternoon and spoke with both parents.",
        "The children were at school; the home was warm and tidy.",
    ],
    [
        f"Page two notes: the family keep a {KEYWORD} in an outdoor aviary.",
        "The aviary is locked and the children are not allowed in alone.",
        "No concerns were raised about the animals.",
    ],
    [
        "Outcome and plan.",
        "A review visit is arranged in six weeks with the allocated worker.",
        "The parents agreed to the plan and signed the record.",
    ],
]


def pdf_file(path: Path) -> Path:
    pdf = FPDF(format="A4")
    for lines in PAGES:
        pdf.add_page()
        pdf.set_font("helvetica", size=20)
        pdf.cell(0, 14, text=lines[0], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=13)
        for line in lines[1:] * 6:  # a page with some body, as a real report has
            pdf.multi_cell(0, 8, text=line, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


def _scanned_page(lines: list[str]) -> Image.Image:
    """An A4 page at 150 dpi, typed lines in a large face, as a fax machine sends it (1-bit)."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=28)
    for number, line in enumerate(lines):
        draw.text((70, 120 + number * 60), line, fill=0, font=font)
    return page.convert("1")


def tiff_file(path: Path) -> Path:
    frames = [_scanned_page(lines) for lines in PAGES]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], compression="group4", dpi=(150, 150)
    )
    return path


def doc_file(path: Path) -> Path:
    """A .doc as Word 97-2003 writes it, made by LibreOffice from HTML with page breaks."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError(
            "LibreOffice (soffice) is needed to make the .doc; run scripts/system-deps.sh"
        )
    with tempfile.TemporaryDirectory() as work:
        html = Path(work) / (path.stem + ".html")
        breaks = ['<p style="page-break-before: always">'] * len(PAGES)
        breaks[0] = "<p>"
        body = "".join(
            "".join(f"{breaks[number] if not n else '<p>'}{x}</p>" for n, x in enumerate(lines))
            for number, lines in enumerate(PAGES)
        )
        html.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{work}/profile",
                "--headless",
                "--convert-to",
                "doc:MS Word 97",
                "--outdir",
                work,
                str(html),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.copy(Path(work) / (path.stem + ".doc"), path)
    return path


def email_file(path: Path) -> Path:
    message = EmailMessage()
    message["From"] = "Duty Team <duty@council.example>"
    message["To"] = "Allocated Worker <worker@council.example>"
    message["Subject"] = "Home visit follow-up"
    message["Date"] = format_datetime(datetime(2012, 3, 14, 9, 30, tzinfo=UTC))
    # A long thread, as a forwarded chain is, so the keyword at its end is past page 1.
    earlier = "".join(
        f"> On day {n} the duty worker noted that the review visit was still arranged.\n"
        for n in range(1, 90)
    )
    message.set_content(
        f"Hello,\n\nThe earlier messages are below.\n\n{earlier}\nFollowing the home visit, "
        f"the family asked about the {KEYWORD} aviary again.\nThe notes are attached.\n\n"
        "Duty Team\n"
    )
    message.add_attachment(
        "Visit notes: the review is in six weeks.\n",
        subtype="plain",
        filename="notes.txt",
    )
    path.write_bytes(bytes(message))
    return path


LONG_PAGES = 200


def long_pdf_file(path: Path) -> Path:
    """A 200-page report: the viewer must open it without drawing every page."""
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=13)
    for number in range(1, LONG_PAGES + 1):
        pdf.add_page()
        pdf.multi_cell(0, 8, text=f"Page {number} of the long chronology. " * 12)
    path.write_bytes(bytes(pdf.output()))
    return path


MAKERS = {
    "PDF1": ("report.pdf", pdf_file),
    "TIF1": ("fax.tif", tiff_file),
    "DOC1": ("letter.doc", doc_file),
    "EML1": ("followup.eml", email_file),
    "LONG1": ("chronology.pdf", long_pdf_file),
}


def make_archive(root: Path) -> Path:
    """The files, a manifest naming them all on PERSON, and people.csv (with the team)."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "legacy_person_id", "file_path"])
        for source_id, (name, make) in MAKERS.items():
            make(files / name)
            writer.writerow(["PARIS", source_id, "1", f"files/{name}"])
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    return root
