"""`escr sar suggest` on a loaded archive: third parties suggested (a catalog person, a
relative by title, a phone, an address), the subject and the social worker not; the bundle is
blocked until every suggestion is decided; running again suggests nothing new, and a rejected
term is not suggested again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.db import session_factory
from cli.main import main
from core.settings import Settings
from records import sar_redact
from workers.load import load_archive

PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Jane,Smith,2009-04-05,,9434765919,children\n"
    "MOS2,Mosaic,PARIS:200,Dennis,Hughes,1970-01-02,,,adults\n"
)
FILES = {
    "visit.txt": "Home visit to Jane Smith (NHS 943 476 5919). Social worker: Claire Lowe.\n"
    "Dennis Hughes was at the house. Mrs Okafor rang on 07712 345678 from 12 Mill Lane.\n",
    "plan.txt": "Care plan for Jane Smith. Jane Smith will see Mrs Okafor on Saturdays.\n",
}
MANIFEST = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
    "PARIS,D1,100,visit.txt,Home visit,VISIT,2025-01-10,\n"
    "PARIS,D2,100,plan.txt,Care plan,CPLAN,2025-01-11,\n"
)


def _last(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return dict(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))


def test_suggest_then_decide(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    load_archive(
        settings, manifest=root / "manifest.csv", people=root / "people.csv", progress=False
    )
    assert main(["sar", "open", "--person", "MOS1", "--received", "2025-03-03"]) == 0
    sar_id = int(str(_last(capsys)["id"]))
    assert main(["sar", "collate", str(sar_id)]) == 0
    capsys.readouterr()
    assert main(["sar", "suggest", str(sar_id)]) == 0
    shown = _last(capsys)
    assert shown["documents"] == 2
    with session_factory(settings.database_url)() as session:
        rows = sar_redact._rows(session, sar_id)
        terms = {(row.kind, row.term) for row in rows}
        assert {
            ("person", "Dennis Hughes"), ("name", "Mrs Okafor"), ("phone", "07712 345678"),
            ("address", "12 Mill Lane"),
        } <= terms  # fmt: skip
        assert not any("Jane" in t or "Claire" in t or "943" in t for _, t in terms)
        assert all(r.status == "suggested" and r.made_by == "escr" for r in rows)
        assert all(r.code == "Sch2 Pt3 third party" and r.reason for r in rows)
        okafor = [r for r in rows if r.term == "Mrs Okafor"]
        assert len(okafor) == 2  # one a document: every occurrence in each
        assert sar_redact.blockers(session, sar_id)  # undecided: the bundle waits
        first = len(rows)
        sar_redact.decide(
            session, sar_id, okafor[0].id, actor="ig1", decision="reject", reason="the carer"
        )
        session.commit()
    assert main(["sar", "suggest", str(sar_id)]) == 0
    assert _last(capsys)["suggested"] == 0  # nothing new, the rejection stands
    with session_factory(settings.database_url)() as session:
        assert len(sar_redact._rows(session, sar_id)) == first
