"""Scans in TIFF sample formats Tesseract's image library (Leptonica) cannot decode itself
(float or signed samples, as Pillow's test suite has: 12bit.cropped.tif, 16bit.s.tif): Tesseract
prints nothing and exits 0 for them, its orientation check too. They are still read, from the
image Pillow decodes."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.synth import scans


@pytest.mark.parametrize("mode", ["F", "I"])
def test_a_scan_with_samples_tesseract_cannot_decode_is_read(mode: str, tmp_path: Path) -> None:
    scan = scans.letter_page(random.Random(5), paragraphs=1)
    path = tmp_path / f"page-{mode}.tif"
    scan.image.convert("L").convert(mode).save(path, dpi=(300, 300))
    result = extract_file(str(path), "image/tiff", Limits(), str(tmp_path))
    assert result.ok, result.detail
    assert scans.word_recall(scan.truth, result.text) > 0.9


def test_a_12_bit_scan_in_16_bit_samples_is_read(tmp_path: Path) -> None:
    """A 12-bit scanner's output (0..4095 in 16-bit samples): clipped at 255 it is white."""
    scan = scans.letter_page(random.Random(6), paragraphs=1)
    path = tmp_path / "page-12bit.tif"
    scan.image.convert("L").convert("I").point(lambda v: v * 16).convert("I;16").save(path)
    result = extract_file(str(path), "image/tiff", Limits(), str(tmp_path))
    assert result.ok, result.detail
    assert scans.word_recall(scan.truth, result.text) > 0.9


def test_a_tiff_whose_page_chain_loops_is_read_without_hanging(tmp_path: Path) -> None:
    """Pillow's multipage_single_frame_loop.tiff (tests/fixtures/tiff/README.md): handed to
    Tesseract as a file, Leptonica follows its page chain for ever."""
    sample = Path(__file__).parents[2] / "fixtures" / "tiff" / "multipage_single_frame_loop.tiff"
    started = time.monotonic()
    result = extract_file(str(sample), "image/tiff", Limits(ocr_page_timeout_s=20), str(tmp_path))
    assert result.ok, result.detail
    assert result.pages == 1
    assert time.monotonic() - started < 10


def test_a_palette_scan_with_transparency_is_read(tmp_path: Path) -> None:
    """A palette TIFF with alpha (Pillow's rdf.tif): Tesseract crashes on the file itself."""
    scan = scans.letter_page(random.Random(8), paragraphs=1)
    path = tmp_path / "page-pa.tif"
    scan.image.convert("P").convert("PA").save(path, dpi=(300, 300))
    result = extract_file(str(path), "image/tiff", Limits(), str(tmp_path))
    assert result.ok, result.detail
    assert scans.word_recall(scan.truth, result.text) > 0.9


def _lab_scan(tmp_path: Path, seed: int) -> tuple[Path, str]:
    """A scan saved in CIELAB, as Pillow's hopper.Lab.tif and lab-red.tif are."""
    from PIL import ImageCms

    scan = scans.letter_page(random.Random(seed), paragraphs=1)
    to_lab = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
    )
    lab = ImageCms.applyTransform(scan.image.convert("RGB"), to_lab)
    assert lab is not None and lab.mode == "LAB"
    path = tmp_path / "page-lab.tif"
    lab.save(path, dpi=(300, 300))
    return path, scan.truth


def test_a_cielab_scan_is_read(tmp_path: Path) -> None:
    """Pillow cannot convert CIELAB to grey ("conversion from LAB to RGB not supported"): both
    of Pillow's LAB samples ended corrupt."""
    path, truth = _lab_scan(tmp_path, 8)
    result = extract_file(str(path), "image/tiff", Limits(), str(tmp_path))
    assert result.ok, result.detail
    assert scans.word_recall(truth, result.text) > 0.9


def test_a_cielab_scan_is_rendered_in_its_colours(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from workers.render.base import RenderRequest
    from workers.render.registry import render_file

    path, truth = _lab_scan(tmp_path, 9)
    out = tmp_path / "rendition.pdf"
    request = RenderRequest(str(path), "image/tiff", str(out), scratch=str(tmp_path))
    result = render_file(request, Limits())
    assert result.ok, result
    page = PdfReader(out).pages[0]
    assert scans.word_recall(truth, page.extract_text()) > 0.9  # the OCR layer
    image = page.images[0].image
    assert image is not None
    # White paper stays white: LAB's bands copied as RGB would make it pink (L=255, a=b=128).
    red, green, blue = image.convert("RGB").getpixel((5, 5))  # type: ignore[misc]
    assert min(red, green, blue) >= 250 and max(red, green, blue) - min(red, green, blue) <= 3


def _page_and_thumbnail(tmp_path: Path) -> tuple[Path, str]:
    """A scanned page followed by its quarter-size copy marked as such (NewSubfileType 1), as
    some scanning software writes (filetype's sample.tif), by Pillow's own TIFF writer."""
    from PIL import Image, TiffImagePlugin

    scan = scans.letter_page(random.Random(12), paragraphs=1)
    page = scan.image.convert("L")
    thumbnail = page.resize((page.width // 4, page.height // 4), Image.Resampling.LANCZOS)
    path = tmp_path / "scan-with-preview.tif"
    with TiffImagePlugin.AppendingTiffWriter(str(path), new=True) as tiff:
        page.save(tiff, format="TIFF", dpi=(300, 300))
        tiff.newFrame()
        thumbnail.save(tiff, format="TIFF", dpi=(75, 75), tiffinfo={254: 1})
    return path, scan.truth


def test_a_reduced_resolution_copy_is_not_a_page(tmp_path: Path) -> None:
    from workers.extract.base import PageRange
    from workers.extract.ocr import extract_image_frames

    path, truth = _page_and_thumbnail(tmp_path)
    planned = extract_image_frames(path, Limits(), tmp_path, PageRange(ocr=False))
    assert planned.pages == 1
    result = extract_file(str(path), "image/tiff", Limits(), str(tmp_path))
    assert result.ok, result.detail
    assert result.pages == 1 and "\f" not in result.text
    assert scans.word_recall(truth, result.text) > 0.9


def test_a_reduced_resolution_copy_gets_no_rendition_page(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from workers.render.base import RenderRequest
    from workers.render.registry import render_file

    path, _ = _page_and_thumbnail(tmp_path)
    out = tmp_path / "rendition.pdf"
    request = RenderRequest(str(path), "image/tiff", str(out), scratch=str(tmp_path))
    result = render_file(request, Limits())
    assert result.ok, result
    assert len(PdfReader(out).pages) == 1
