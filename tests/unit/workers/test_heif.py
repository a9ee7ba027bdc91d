"""HEIC/HEIF photos (what phones take: a letter photographed on a visit). Pillow cannot decode
them alone; filetype's sample.heic ended corrupt."""

from __future__ import annotations

import random
from pathlib import Path

import pillow_heif
from pypdf import PdfReader

from workers.extract.base import Limits
from workers.extract.registry import extract_file
from workers.filetype import detect
from workers.render.base import RenderRequest
from workers.render.registry import render_file
from workers.synth import scans


def _photo(tmp_path: Path) -> tuple[Path, str]:
    scan = scans.letter_page(random.Random(11), paragraphs=1)
    path = tmp_path / "IMG_0042.HEIC"
    heif = pillow_heif.from_pillow(scan.image.convert("RGB"))
    heif.save(str(path), quality=90)
    return path, scan.truth


def test_a_heic_photo_of_a_letter_is_read(tmp_path: Path) -> None:
    path, truth = _photo(tmp_path)
    mime = detect(path).mime
    assert mime == "image/heic" or mime == "image/heif"
    result = extract_file(str(path), mime, Limits(), str(tmp_path))
    assert result.ok, result.detail
    assert scans.word_recall(truth, result.text) > 0.9


def test_a_heic_photo_gets_a_rendition(tmp_path: Path) -> None:
    path, truth = _photo(tmp_path)
    out = tmp_path / "rendition.pdf"
    request = RenderRequest(str(path), detect(path).mime, str(out), scratch=str(tmp_path))
    result = render_file(request, Limits())
    assert result.ok, result
    assert scans.word_recall(truth, PdfReader(out).pages[0].extract_text()) > 0.9
