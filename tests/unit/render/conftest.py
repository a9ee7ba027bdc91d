"""Inputs made with real tools (fpdf2, Pillow, python-docx, LibreOffice, stdlib email), and one
sandbox pool for the module, as renditions are made in production."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from workers.extract.base import Limits
from workers.render.base import RenderRequest, RenderResult
from workers.sandbox import SandboxPool

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCAN_LINES = ("Safeguarding referral received", "The family was visited at home")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxPool]:
    with SandboxPool(2, Limits(), tmp_path_factory.mktemp("sandbox")) as made:
        yield made


def render(pool: SandboxPool, path: Path, mime: str, **extra: object) -> tuple[RenderResult, Path]:
    out = path.with_name(path.name + ".rendition.pdf")
    request = RenderRequest(str(path), mime, str(out), **extra)  # type: ignore[arg-type]
    return pool.render(request).result(), out


def pdf_text(path: Path) -> list[str]:
    """Each page's text as pypdf reads it (an invisible OCR layer included)."""
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def born_digital_pdf(path: Path, pages: int = 3) -> Path:
    pdf = FPDF()
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.cell(0, 10, f"Care plan review page {number}")
    path.write_bytes(bytes(pdf.output()))
    return path


def scan_pages(count: int) -> list[Image.Image]:
    """A4 pages at 200 dpi with printed lines, as a scanner gives them."""
    font = ImageFont.truetype(FONT, 44)
    pages = []
    for number in range(1, count + 1):
        page = Image.new("L", (1654, 2339), 255)
        draw = ImageDraw.Draw(page)
        draw.text((160, 220), f"{SCAN_LINES[0]} page {number}", font=font, fill=0)
        draw.text((160, 320), SCAN_LINES[1], font=font, fill=0)
        pages.append(page)
    return pages


def tiff_scan(path: Path, pages: int = 3) -> Path:
    first, *rest = scan_pages(pages)
    first.save(path, save_all=True, append_images=rest, dpi=(200, 200), compression="tiff_lzw")
    return path


def jpeg_scan(path: Path) -> Path:
    scan_pages(1)[0].save(path, format="JPEG", dpi=(200, 200), quality=90)
    return path


def docx_file(path: Path, pages: int = 2) -> Path:
    from docx import Document
    from docx.enum.text import WD_BREAK

    document = Document()
    for number in range(1, pages + 1):
        paragraph = document.add_paragraph(f"Assessment of needs, part {number}")
        if number < pages:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path


def doc_file(path: Path, folder: Path) -> Path:
    """A Word 97-2003 file written by LibreOffice itself from a DOCX."""
    source = docx_file(folder / "source.docx")
    soffice = shutil.which("soffice")
    assert soffice is not None, "LibreOffice (soffice) is needed: scripts/system-deps.sh"
    profile = folder / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (folder / "source.doc").rename(path)
    return path


def eml_file(path: Path) -> Path:
    message = EmailMessage()
    message["From"] = "Duty Team <duty@council.example>"
    message["To"] = "Ann Ash <ann.ash@council.example>"
    message["Date"] = "Tue, 04 Mar 2014 10:15:00 +0000"
    message["Subject"] = "Strategy meeting notes"
    message.set_content("Notes from the strategy meeting are attached.\nPlease read before Friday.")
    message.add_attachment(b"minutes", maintype="text", subtype="plain", filename="minutes.txt")
    scan = io.BytesIO()
    scan_pages(1)[0].save(scan, format="PNG")
    message.add_attachment(scan.getvalue(), maintype="image", subtype="png", filename="letter.png")
    path.write_bytes(message.as_bytes())
    return path
