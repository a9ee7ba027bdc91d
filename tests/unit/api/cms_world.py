"""The teams archive with what the CMS-facing tests need: 50 letters on Ben (MOS2) holding the
word `quokka`, a `legacy_url` column (D1 and D2 migrated, Q1 quarantined: its file is missing),
loaded and served (tests/unit/access/conftest.py's world)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.settings import Settings
from tests.unit.access.conftest import World, _world

LETTERS = 50
OLD = "https://escr.old.example/docs/view.aspx"


def old_link(source_id: str) -> str:
    """The old store's link to a document, as the manifest gives it."""
    return f"{OLD}?sys=paris&id={source_id}"


def add_letters_and_old_links(manifest: Path) -> None:
    files = manifest.parent / "files"
    rows = manifest.read_text(encoding="utf-8").splitlines()
    out = [rows[0] + ",legacy_url"]
    for row in rows[1:]:
        source_id = row.split(",")[1]
        out.append(row + "," + (old_link(source_id) if source_id in ("D1", "D2") else ""))
    out.append(f"PARIS,Q1,100,files/missing.txt,Lost letter,LETOUT,2020-01-01,,{old_link('Q1')}")
    for n in range(1, LETTERS + 1):
        name = f"files/letter-{n:02d}.txt"
        (files / f"letter-{n:02d}.txt").write_text(
            f"Letter {n} to Ben Birch about the respite plan and the quokka drawing.\n",
            encoding="utf-8",
        )
        out.append(f"PARIS,L{n:02d},200,{name},Letter {n},LETOUT,2019-0{1 + n % 9}-1{n % 9},,")
    manifest.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture
def cms_world(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    # Quick retries, so the webhook test sees its three attempts in about a second.
    monkeypatch.setenv("ESCR_WEBHOOKS__BACKOFF_BASE_S", "0.2")
    monkeypatch.setenv("ESCR_WEBHOOKS__POLL_S", "0.2")
    yield from _world(tmp_path, monkeypatch, rsa_key, add_letters_and_old_links)
