"""A fresh PDF of page images and nothing else: one JPEG a page, drawn to fill it.

Written by pikepdf from an empty document, so it has one revision, no document information,
no XMP, no outline, no names (attachments, JavaScript), no forms and no annotations: nothing
but pages, their images and the one line of content that draws each. The release gate
(workers/redact/gate.py) refuses any file with more."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name


@dataclass(frozen=True)
class PageImage:
    """A page's JPEG, its pixel size and colour space, and the page's size in points."""

    jpeg: bytes
    width_px: int
    height_px: int
    grey: bool
    width_pt: float
    height_pt: float


def write_image_pdf(pages: list[PageImage], out: Path) -> None:
    pdf = pikepdf.new()
    for page in pages:
        image = pikepdf.Stream(pdf, page.jpeg)
        image.Type = Name.XObject
        image.Subtype = Name.Image
        image.Width = page.width_px
        image.Height = page.height_px
        image.ColorSpace = Name.DeviceGray if page.grey else Name.DeviceRGB
        image.BitsPerComponent = 8
        image.Filter = Name.DCTDecode
        width, height = round(page.width_pt, 3), round(page.height_pt, 3)
        draw = pikepdf.Stream(pdf, f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode())
        pdf.pages.append(
            pikepdf.Page(
                Dictionary(
                    Type=Name.Page,
                    MediaBox=[0, 0, width, height],
                    Resources=Dictionary(XObject=Dictionary(Im0=image)),
                    Contents=draw,
                )
            )
        )
    # Same pages, same bytes: a rebuilt bundle hashes alike and its manifest can be compared.
    pdf.save(out, deterministic_id=True, compress_streams=True)
