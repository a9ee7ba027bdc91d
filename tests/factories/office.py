"""Office files made by real tools: odfpy writes an OpenDocument source from generated content,
and LibreOffice (escr's own warm server, workers.convert) saves it as DOC, XLS, PPT, RTF...

Nothing here writes a format's bytes by hand: the files are what LibreOffice writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from odf.draw import Frame, Page, TextBox
from odf.opendocument import (
    OpenDocumentPresentation,
    OpenDocumentSpreadsheet,
    OpenDocumentText,
)
from odf.style import MasterPage, PageLayout
from odf.table import Table, TableCell, TableRow
from odf.text import H, P

from workers.convert.libreoffice import convert
from workers.extract.base import Limits

LIMITS = Limits(timeout_s=60.0)


def text_document(path: Path, title: str, paragraphs: Sequence[str]) -> Path:
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=title))
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    document.save(str(path))
    return path


def spreadsheet(path: Path, sheets: Mapping[str, Sequence[Sequence[str]]]) -> Path:
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            table_row = TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
                table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def presentation(path: Path, slides: Sequence[Sequence[str]]) -> Path:
    document = OpenDocumentPresentation()
    layout = PageLayout(name="slide")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    for number, lines in enumerate(slides, start=1):
        page = Page(name=f"slide{number}", masterpagename=master)
        frame = Frame(width="20cm", height="10cm", x="1cm", y="1cm")
        box = TextBox()
        for line in lines:
            box.addElement(P(text=line))
        frame.addElement(box)
        page.addElement(frame)
        document.presentation.addElement(page)
    document.save(str(path))
    return path


def saved_as(source: Path, extension: str, out_dir: Path) -> Path:
    """`source` saved by LibreOffice as `extension` (doc, dot, rtf, sxw, xls, xlsx, ppt, ...)."""
    return convert(source, extension, out_dir, LIMITS)
