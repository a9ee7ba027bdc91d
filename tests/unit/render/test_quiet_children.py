"""What the parsers' libraries log about a file stays off the console: in a load it landed in
the middle of the progress bar (fpdf2's missing glyphs for chardet's Chinese, Japanese and
Korean samples, tnefparse's checksums)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.render.conftest import render
from workers.extract.base import Limits
from workers.sandbox import SandboxPool


def test_glyphs_missing_from_the_font_are_not_chattered(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    note = tmp_path / "note.txt"
    # Egyptian hieroglyphs: in no font escr lays text out with.
    note.write_text("Visit note \U00013000\U00013001\U00013002 agreed.\n" * 20, encoding="utf-8")
    (tmp_path / "sandbox").mkdir()
    with SandboxPool(1, Limits(), tmp_path / "sandbox") as own:  # its children write to capfd
        result, _ = render(own, note, "text/plain")
    assert result.ok, result
    assert "missing the following glyphs" not in capfd.readouterr().err
