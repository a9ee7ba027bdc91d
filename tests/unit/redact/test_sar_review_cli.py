"""`escr sar include | exclude | reuse` (decision 0040): a candidate the bundle waits for until a
person includes it, and a later request by the same person started from the release."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document
from cli.main import main
from core.settings import Settings
from tests.factories.sar_archive import NEIGHBOUR, SUBJECT, write_sar_archive
from workers.load import load_archive


def _last(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return dict(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))


def _open_and_collate(capsys: pytest.CaptureFixture[str]) -> str:
    today = date.today().isoformat()
    assert main(["sar", "open", "--person", SUBJECT, "--received", today]) == 0
    sar_id = str(_last(capsys)["id"])
    assert main(["sar", "collate", sar_id]) == 0
    capsys.readouterr()
    return sar_id


def test_include_a_candidate_then_reuse_the_release(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_sar_archive(tmp_path / "archive")
    load_archive(settings, manifest=manifest, people=manifest.parent / "people.csv", progress=False)
    with session_factory(settings.database_url)() as session:
        ids = {d.source_document_id: d.id for d in session.scalars(select(Document))}
    assert main(["render", "--quiet"]) == 0
    sar_id = _open_and_collate(capsys)
    code = ["--code", "Sch2 Pt3 third party", "--reason", "the neighbour who rang"]
    assert main(["sar", "redact", sar_id, "--term", NEIGHBOUR, *code]) == 0
    capsys.readouterr()
    # The candidate waits for a person: the bundle is refused until it is decided.
    assert main(["sar", "bundle", sar_id, "--out", str(tmp_path / "refused")]) != 0
    assert "candidate" in capsys.readouterr().err
    assert main(["sar", "include", sar_id, str(ids["D4"]), "--reason", "about Jane too"]) == 0
    assert _last(capsys)["status"] == "included"
    assert main(["sar", "bundle", sar_id, "--out", str(tmp_path / "release")]) == 0
    assert (tmp_path / "release" / "bundle.pdf").exists()
    capsys.readouterr()

    later = _open_and_collate(capsys)
    assert main(["sar", "reuse", later]) == 0
    reused = _last(capsys)
    assert reused["items_decided"] == 1 and reused["new_documents"] == []
    assert reused["redactions_copied"] == 3  # the neighbour's name on each of D1..D3
    assert main(["sar", "exclude", later, str(ids["D4"]), "--reason", "not hers after all"]) == 0
    assert _last(capsys)["status"] == "excluded"
