"""Scan renditions of TIFFs that Tesseract's Leptonica cannot be handed whole (Pillow's test
suite has them): a page chain that loops back, samples it cannot decode (12-bit, float)."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from tests.unit.render.conftest import pdf_text, render
from workers.sandbox import SandboxPool
from workers.synth import scans

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tiff"


def test_a_tiff_whose_page_chain_loops_renders_one_page_quickly(
    pool: SandboxPool, tmp_path: Path
) -> None:
    sample = tmp_path / "loop.tiff"  # rendered beside itself: a copy, never the fixture
    shutil.copy(FIXTURES / "multipage_single_frame_loop.tiff", sample)
    started = time.monotonic()
    result, _ = render(pool, sample, "image/tiff")
    assert (result.ok, result.pages) == (True, 1), result
    assert time.monotonic() - started < 15


def test_a_12_bit_and_a_float_scan_render_with_their_words(
    pool: SandboxPool, tmp_path: Path
) -> None:
    scan = scans.letter_page(random.Random(7), paragraphs=1)
    grey = scan.image.convert("L")
    twelve = tmp_path / "twelve.tif"
    grey.convert("I").point(lambda v: v * 16).convert("I;16").save(twelve, dpi=(300, 300))
    floating = tmp_path / "float.tif"
    grey.convert("F").save(floating, dpi=(300, 300))
    for path in (twelve, floating):
        result, out = render(pool, path, "image/tiff")
        assert (result.ok, result.pages) == (True, 1), result
        assert scans.word_recall(scan.truth, pdf_text(out)[0]) > 0.8, path.name


def test_a_cmyk_jpeg_and_a_palette_tiff_with_alpha_render_with_their_words(
    pool: SandboxPool, tmp_path: Path
) -> None:
    """Tesseract's PDF renderer fails on a CMYK JPEG and crashes on a palette TIFF with alpha
    (Pillow's pil_sample_cmyk.jpg, rdf.tif), both of which Pillow decodes."""
    scan = scans.letter_page(random.Random(8), paragraphs=1)
    cmyk = tmp_path / "cmyk.jpg"
    scan.image.convert("CMYK").save(cmyk, dpi=(300, 300))
    palette = tmp_path / "palette.tif"
    scan.image.convert("P").convert("PA").save(palette, dpi=(300, 300))
    for path, mime in ((cmyk, "image/jpeg"), (palette, "image/tiff")):
        result, out = render(pool, path, mime)
        assert (result.ok, result.pages) == (True, 1), result
        assert scans.word_recall(scan.truth, pdf_text(out)[0]) > 0.8, path.name
