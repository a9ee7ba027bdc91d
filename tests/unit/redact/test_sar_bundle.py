"""The SAR bundle end to end through the CLI contract (issue 15): a loaded archive, rendered,
a request opened and collated, a neighbour's name redacted in every document, the bundle
written and checked part by part (index, numbering, log, manifest hashes); a planted leak
refused with nothing written; separation of duties on serious-harm redactions."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import Document
from cli.main import main
from core.errors import PermissionDenied
from core.settings import Settings
from domain.redaction import contains_any
from records import sar_redact
from workers.load import load_archive

NEIGHBOUR = "Peter Walsh"
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Jane,Smith,2009-04-05,,9434765919,children\n"
)
FILES = {
    "visit.txt": f"Home visit to Jane Smith. Her neighbour {NEIGHBOUR} had rung the duty "
    "team about shouting late at night. Jane said home was fine.\n" * 3,
    "plan.txt": "Care plan for Jane Smith. Contact with her father on Saturdays.\n",
    "note.txt": f"Case note. {NEIGHBOUR.upper()} rang again; the social worker Claire Lowe "
    "will visit.\n",
}
MANIFEST = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
    "PARIS,D1,100,visit.txt,Home visit,VISIT,2025-01-10,\n"
    "PARIS,D2,100,plan.txt,Care plan,CPLAN,2025-01-11,\n"
    f"PARIS,D3,100,note.txt,Call from {NEIGHBOUR},NOTE,2025-01-12,\n"
)


@pytest.fixture
def collated(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> int:
    root = tmp_path / "archive"
    root.mkdir()
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    load_archive(
        settings, manifest=root / "manifest.csv", people=root / "people.csv", progress=False
    )
    assert main(["render", "--quiet"]) == 0
    assert main(["sar", "open", "--person", "MOS1", "--received", "2025-03-03"]) == 0
    sar_id = int(json.loads(capsys.readouterr().out.strip().splitlines()[-1])["id"])
    assert main(["sar", "collate", str(sar_id), "--json"]) == 0
    capsys.readouterr()
    return sar_id


def _last(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return dict(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))


def test_the_bundle_through_the_cli(
    collated: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sar_id = str(collated)
    code = ["--code", "Sch2 Pt3 third party", "--reason", "the neighbour who rang"]
    assert main(["sar", "redact", sar_id, "--term", NEIGHBOUR, *code]) == 0
    made = _last(capsys)["redactions"]
    assert isinstance(made, list) and len(made) == 3  # every included document
    out = tmp_path / "release"
    assert main(["sar", "bundle", sar_id, "--out", str(out), "--workers", "2"]) == 0
    shown = _last(capsys)
    assert shown["ok"] is True and shown["release_id"]
    pdf = pdfium.PdfDocument(str(out / "bundle.pdf"))
    total = len(pdf)
    texts = [page.get_textpage().get_text_range() for page in pdf]
    # Every page numbered across the bundle.
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {total}" in text
    assert contains_any("\n".join(texts), (NEIGHBOUR,)) == []
    with zipfile.ZipFile(out / "bundle.zip") as archive:
        names = archive.namelist()
        manifest = dict(csv.reader(io.StringIO(archive.read("manifest.csv").decode())))
        for name in names:
            if name != "manifest.csv":
                assert manifest[name] == hashlib.sha256(archive.read(name)).hexdigest()
        index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
        log = list(csv.DictReader(io.StringIO(archive.read("redaction-log.csv").decode())))
    assert manifest.pop("file") == "sha256" and set(manifest) == set(names) - {"manifest.csv"}
    assert len(index) == 3 and len([n for n in names if n.startswith("documents/")]) == 3
    assert all(NEIGHBOUR not in row["document"] for row in index)  # the title is scrubbed
    # Each document's pages in the index hold that document: the first page of each range.
    for row in index:
        first = int(row["pages"].split("-")[0])
        assert 2 < first <= total
    # The log names the pages where the name was found (visit and note), with code and approver.
    assert {row["code"] for row in log} == {"Sch2 Pt3 third party"}
    assert len(log) >= 2 and all(row["approver"] for row in log)
    assert hashlib.sha256((out / "bundle.zip").read_bytes()).hexdigest() == shown["zip_sha256"]


def test_a_planted_leak_is_refused_and_nothing_is_written(
    collated: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers.redact import bundle

    assemble = bundle._assemble

    def leaky(parts, burned, out):  # type: ignore[no-untyped-def]
        ranges = assemble(parts, burned, out)
        with pikepdf.open(out, allow_overwriting_input=True) as pdf:
            pdf.docinfo["/Author"] = NEIGHBOUR  # what a careless tool adds after the burn
            pdf.save(out)
        return ranges

    monkeypatch.setattr(bundle, "_assemble", leaky)
    code = ["--code", "Sch2 Pt3 third party", "--reason", "neighbour"]
    assert main(["sar", "redact", str(collated), "--term", NEIGHBOUR, *code]) == 0
    out = tmp_path / "release"
    assert main(["sar", "bundle", str(collated), "--out", str(out)]) == 1
    assert "refused" in capsys.readouterr().err
    assert not (out / "bundle.pdf").exists() and not (out / "bundle.zip").exists()
    assert list(out.iterdir()) == []  # not even a partial file


def test_serious_harm_needs_a_second_person(collated: int, settings: Settings) -> None:
    with session_factory(settings.database_url)() as session:
        documents = sar_redact.included_documents(session, collated)
        sar_redact.add(
            session, collated, actor="ig1", term="father", document_id=documents[1],
            code="Sch3 Pt3 para 11 serious harm", reason="would put the child at risk",
        )  # fmt: skip
        session.commit()
        assert sar_redact.blockers(session, collated)  # waits for the second sign-off
        with pytest.raises(PermissionDenied):
            sar_redact.approve(session, collated, actor="ig1")
        session.rollback()
        assert sar_redact.blockers(session, collated)
        assert sar_redact.approve(session, collated, actor="ig2") == {"approved": 1}
        assert sar_redact.blockers(session, collated) == []
        session.commit()


def test_a_bundle_waits_for_its_sign_off(
    collated: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ["--code", "Sch3 Pt3 para 11 serious harm", "--reason", "risk to the child"]
    assert main(["sar", "redact", str(collated), "--term", "father", *code]) == 0
    out = tmp_path / "release"
    assert main(["sar", "bundle", str(collated), "--out", str(out)]) != 0
    assert "second sign-off" in capsys.readouterr().err
    assert not (out / "bundle.pdf").exists()
    # An unknown code is refused.
    bad = ["--code", "because", "--reason", "x"]
    assert main(["sar", "redact", str(collated), "--term", "father", *bad]) != 0


def test_every_occurrence_in_one_document_only(collated: int, settings: Settings) -> None:
    with session_factory(settings.database_url)() as session:
        documents = sar_redact.included_documents(session, collated)
        rows = sar_redact.add(
            session, collated, actor="ig1", term=NEIGHBOUR, document_id=documents[0],
            code="Sch2 Pt3 third party", reason="neighbour",
        )  # fmt: skip
        plans = sar_redact.plans(session, collated)
        assert [r.document_id for r in rows] == [documents[0]]
        assert plans[documents[0]].terms == (NEIGHBOUR,)
        assert plans[documents[2]].terms == ()


def test_a_title_that_looks_like_a_formula_is_text_in_the_bundles_csv(
    collated: int, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A title is anyone's text (a migrated archive's, a CMS's upload or PATCH); the bundle's
    index.csv goes to the requester, who opens it in a spreadsheet. It was written as given, a
    live `=HYPERLINK(...)`; now as text, as the audit and reconcile CSVs are."""
    formula = '=HYPERLINK("http://evil.example/","open me")'
    with session_factory(settings.database_url)() as session:
        document = session.scalars(select(Document).where(Document.source_document_id == "D2"))
        document.one().title = formula
        session.commit()
    out = tmp_path / "release"
    assert main(["sar", "bundle", str(collated), "--out", str(out)]) == 0
    with zipfile.ZipFile(out / "bundle.zip") as archive:
        index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
    titles = [row["document"] for row in index]
    assert "'" + formula in titles
    cells = [cell for row in index for cell in row.values()]
    assert [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))] == []
