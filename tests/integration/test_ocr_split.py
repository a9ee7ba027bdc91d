"""A scanned PDF's (and a multi-page TIFF's) OCR split by page range across real Celery
workers on PostgreSQL, MinIO, OpenSearch and RabbitMQ: tasks of at most `ocr.pages_per_task`
pages, completion counted in the catalog, the text in page order, and the document indexed once.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from catalog import documents as docs
from catalog.db import session_factory
from catalog.models import Document, DocumentPage
from core.states import RowState
from indexer.base import SearchQuery
from indexer.factory import make_index
from tests.integration.conftest import Services
from tests.integration.scaleout import Stack
from tests.integration.test_celery_pipeline import TIMEOUT_S
from workers.celery_load import load_via_celery

pytestmark = pytest.mark.integration
WORDS = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"]
PAGES_PER_TASK = 2


class SplitStack(Stack):
    def env(self) -> dict[str, str]:
        return super().env() | {"ESCR_OCR__PAGES_PER_TASK": str(PAGES_PER_TASK)}


@pytest.fixture
def stack(services: Services, tmp_path: Path) -> Iterator[SplitStack]:
    value = SplitStack(services, tmp_path / "home")
    value.home.mkdir()
    value.create()
    yield value
    value.drop()


def _page_image(number: int, word: str) -> Image.Image:
    """An A5-ish greyscale scan of two lines of large type (Pillow's font, no system fonts)."""
    image = Image.new("L", (1000, 700), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    draw.text((60, 120), f"PAGE {number} OF 5", fill=0, font=font)
    draw.text((60, 240), f"CODEWORD {word}", fill=0, font=font)
    return image


def _scanned_pdf(path: Path) -> Path:
    """Five pages, each only an image: no text layer anywhere, so every page needs OCR."""
    pdf = FPDF(unit="pt", format=(1000 * 72 / 150, 700 * 72 / 150))
    for number, word in enumerate(WORDS, start=1):
        pdf.add_page()
        pdf.image(_page_image(number, word), x=0, y=0, w=pdf.w, h=pdf.h)
    path.write_bytes(bytes(pdf.output()))
    return path


def _fax_tiff(path: Path) -> Path:
    """The same five pages as a multi-page TIFF, as document imaging systems stored scans."""
    frames = [_page_image(n, word).convert("1") for n, word in enumerate(WORDS, start=1)]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    return path


def _archive(root: Path, make: Callable[[Path], Path], name: str) -> Path:
    root.mkdir()
    make(root / name)
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "file_path", "title"])
        writer.writerow(["MOSAIC", "SCAN-5", name, "Five page scan"])
    return root / "manifest.csv"


def _task_runs(stack: Stack, name: str) -> int:
    """How many runs of task `name` the workers logged as succeeded."""
    pattern = re.compile(rf"Task {re.escape(name)}\[[^\]]+\] succeeded")
    return sum(
        len(pattern.findall(log.read_text(errors="replace")))
        for log in stack.home.glob("worker-*.log")
    )


@pytest.mark.parametrize(
    ("make", "name", "first_task", "engine"),
    [
        (_scanned_pdf, "scan.pdf", "escr.extract", "pdfium+tesseract"),
        (_fax_tiff, "scan.tif", "escr.ocr", "tesseract"),  # images go to the ocr queue first
    ],
)
def test_scan_is_ocred_in_page_range_tasks(
    stack: SplitStack,
    tmp_path: Path,
    make: Callable[[Path], Path],
    name: str,
    first_task: str,
    engine: str,
) -> None:
    manifest = _archive(tmp_path / "archive", make, name)
    # Two workers of two threads: the range tasks run at once and race to finish the document.
    stack.start_worker("w1", concurrency=2)
    stack.start_worker("w2", concurrency=2)
    settings = stack.settings()
    summary = load_via_celery(
        settings, manifest=manifest, people=None, progress=False, timeout_s=TIMEOUT_S
    )
    assert summary["unaccounted"] == 0 and summary["indexed"] == 1, summary
    stack.stop_workers()  # their logs complete

    assert _task_runs(stack, "escr.ocr_pages") == 3  # pages 1-2, 3-4, 5
    assert _task_runs(stack, first_task) == 1
    # Exactly one range task found every page with text and queued the index stage.
    assert _task_runs(stack, "escr.index") == 1
    with session_factory(settings.database_url)() as session:
        document = session.scalars(select(Document)).one()
        assert document.state == RowState.INDEXED
        assert (document.pages, document.ocr_pages, document.ocr_pending) == (5, 5, 0)
        assert document.engine == engine
        text = docs.get_text(session, document.id)
        assert session.scalar(select(func.count()).select_from(DocumentPage)) == 0
    pages = text.split("\f")
    assert len(pages) == 5
    for number, (page, word) in enumerate(zip(pages, WORDS, strict=True), start=1):
        assert word in page and f"PAGE {number}" in page, (number, page)

    index = make_index(settings)
    assert index.count() == 1
    hits = index.search(SearchQuery(text="charlie", limit=10)).hits
    assert [hit.source_document_id for hit in hits] == ["SCAN-5"]
