"""An office file LibreOffice cannot lay out but escr reads itself still gets a rendition: its
text, marked as such (odfpy's nasty.odt, pyexcel-ods' white_space.ods and an RTF from oletools'
tests had none)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.factories import office
from tests.unit.render.conftest import pdf_text, render
from workers.render.office import TEXT_ONLY_NOTE
from workers.sandbox import SandboxPool

ODT = "application/vnd.oasis.opendocument.text"


def _with_external_entity(source: Path, out: Path, secret: Path) -> Path:
    """`source` with an external entity declared and used in content.xml, as odfpy's
    nasty.odt has: LibreOffice refuses to open such a file."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as changed:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "content.xml":
                text = data.decode("utf-8")
                declaration = f'<!DOCTYPE nasty [ <!ENTITY nasty SYSTEM "{secret.as_uri()}">]>'
                start = text.index("<office:document-content")
                text = text[:start] + declaration + "\n" + text[start:]
                text = text.replace("home visit</text:p>", "home visit &nasty;</text:p>")
                data = text.encode("utf-8")
            changed.writestr(info, data)
    return out


def test_an_odt_libreoffice_refuses_is_shown_as_its_text(tmp_path: Path, pool: SandboxPool) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PASSWORD-OF-THE-SERVER")
    letter = office.text_document(
        tmp_path / "letter.odt", "Case note", ["Agnes Thornbury was seen on a home visit"]
    )
    nasty = _with_external_entity(letter, tmp_path / "nasty.odt", secret)
    result, out = render(pool, nasty, ODT, title="nasty.odt")
    assert result.ok, result
    assert result.method == "office_text"
    text = " ".join(pdf_text(out))
    assert "Agnes Thornbury was seen" in text
    assert TEXT_ONLY_NOTE.split(":")[0] in text
    assert "PASSWORD" not in text


def test_an_odt_libreoffice_opens_is_laid_out_by_it(tmp_path: Path, pool: SandboxPool) -> None:
    letter = office.text_document(
        tmp_path / "letter.odt", "Case note", ["Agnes Thornbury was seen on a home visit"]
    )
    result, out = render(pool, letter, ODT, title="letter.odt")
    assert result.ok and result.method == "libreoffice", result
    assert "Agnes Thornbury" in " ".join(pdf_text(out))
