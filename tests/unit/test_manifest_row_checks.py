"""The manifest's row checks, as the file-wide shortcuts (one control-character search of the
whole row, a digest's shape by one pattern, NULL compared only at four characters) must
leave them."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.sources.manifest import BadRow, ManifestRow, read_manifest
from workers.sources.mapping import load_mapping

HEADER = (
    "source_system,source_document_id,legacy_person_id,file_path,title,"
    "legacy_doc_type,document_date,sha256,created_by\n"
)
DIGEST = "0123456789abcdef" * 4


def _rows(tmp_path: Path, body: str) -> list[ManifestRow | BadRow]:
    path = tmp_path / "m.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return list(read_manifest(path, load_mapping()))


@pytest.mark.parametrize(
    ("sha", "ok"),
    [
        (DIGEST, True),
        (DIGEST.upper(), True),  # read lower case
        (DIGEST[:-1], False),
        (DIGEST + "0", False),
        (DIGEST[:-1] + "g", False),
        (DIGEST[:-1] + "٣", False),  # a digit, but not a hex digit
        ("", True),  # no checksum given
    ],
)
def test_a_digest_is_64_hex_digits(tmp_path: Path, sha: str, ok: bool) -> None:
    (row,) = _rows(tmp_path, f"PARIS,D1,1,a.txt,t,,,{sha},x\n")
    if ok:
        assert isinstance(row, ManifestRow) and row.sha256 == (sha.lower() or None)
    else:
        assert isinstance(row, BadRow) and row.code == "bad_sha256"


def test_a_control_character_in_free_text_is_found_where_the_row_also_has_a_tab(
    tmp_path: Path,
) -> None:
    rows = _rows(tmp_path, 'PARIS,D1,1,a.txt,"a\ttitle",,,,"by\x07x"\n')
    (bad,) = rows
    assert isinstance(bad, BadRow) and bad.code == "control_character"
    assert bad.detail.startswith("created_by holds control character U+0007")


def test_only_null_and_na_are_no_value(tmp_path: Path) -> None:
    rows = _rows(
        tmp_path,
        "PARIS,D1,1,a.txt, null ,,,,x\nPARIS,D2,1,b.txt,NULLS,,,,x\nPARIS,D3,1,c.txt,#n/a,,,,x\n",
    )
    assert [r.title for r in rows if isinstance(r, ManifestRow)] == ["", "NULLS", ""]
