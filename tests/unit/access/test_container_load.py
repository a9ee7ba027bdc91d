"""Containers and contradicting bytes through a whole load (issue 13, sections 2 and 3): a ZIP
of a PDF and a DOCX and an mbox of three messages become child documents, stored, typed,
extracted, on their parent's people, searchable and reconciled; a container nested past the
depth limit ends `too_large`; random bytes named .pdf are kept on their person's record and
queued as `unreadable`, shown so in /api/exceptions and the web queue."""

from __future__ import annotations

import io
import mailbox
import random
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from catalog.models import Batch, Document, DocumentLink, LedgerRow
from catalog.reconcile import reconcile
from core.settings import Settings
from core.states import Reason, RowState
from tests.unit.access.conftest import World, _world
from tests.unit.access.test_web import _login
from workers.attachments import MAX_DEPTH
from workers.synth import files as sf

ROWS = (
    "PARIS,Z1,100,files/bundle.zip,Letters bundle,LETOUT,2020-01-01,\n"
    "PARIS,Z2,200,files/team.mbox,Team mailbox,EMAIL,2020-01-01,\n"
    "PARIS,Z3,100,files/scan.pdf,Scanned letter,LETOUT,2020-01-01,\n"
    "PARIS,Z4,300,files/nested.zip,Nested archive,LETOUT,2020-01-01,\n"
)


def _doc(word: str) -> sf.TextDoc:
    return sf.TextDoc(
        "Letter",
        [f"Ref {word}"],
        [f"The worker noted {word} at the flat."],
        date(2020, 5, 4),
        "Sam",
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _mbox(path: Path) -> None:
    box = mailbox.mbox(path)
    for number, word in enumerate(("mboxalpha", "mboxbeta", "mboxgamma"), start=1):
        message = EmailMessage()
        message["From"] = "Sam Smith <sam@synthshire.example>"
        message["Subject"] = f"Visit {number}"
        message["Date"] = f"Mon, 0{number} Jun 2020 10:00:00 +0000"
        message.set_content(f"The duty worker recorded {word}.\n")
        box.add(message)
    box.close()


def _add_containers(manifest: Path) -> None:
    files = manifest.parent / "files"
    (files / "bundle.zip").write_bytes(
        _zip(
            {
                "letters/letter.pdf": sf.pdf_bytes(_doc("zipquokka")),
                "notes.docx": sf.docx_bytes(_doc("zipnarwhal")),
            }
        )
    )
    _mbox(files / "team.mbox")
    (files / "scan.pdf").write_bytes(random.Random(13).randbytes(8192))
    # nested.zip > level1.zip > level2.zip > (shallow.txt, level3.zip > deep.txt): level3.zip
    # sits at MAX_DEPTH and may not have children.
    level3 = _zip({"deep.txt": b"The deepest note says abyssword.\n"})
    level2 = _zip({"shallow.txt": b"A note that says shallowword.\n", "level3.zip": level3})
    (files / "nested.zip").write_bytes(_zip({"level1.zip": _zip({"level2.zip": level2})}))
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(ROWS)


@pytest.fixture
def loaded(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    world_iter = _world(tmp_path, monkeypatch, rsa_key, _add_containers)
    yield next(world_iter)
    for _ in world_iter:
        pass


def _officer(world: World) -> dict[str, str]:
    return world.issuer.headers("mig", ["migration_officer"])


def _found(world: World, word: str) -> list[str]:
    answer = world.client.get("/api/search", params={"q": word}, headers=_officer(world))
    return [hit["source_document_id"] for hit in answer.json()["hits"]]


def test_members_become_children_on_their_parents_people_and_reconcile(loaded: World) -> None:
    assert MAX_DEPTH == 3  # the nesting below is built for it
    with loaded.session() as session:
        batch = session.scalar(select(Batch.name))
        assert batch is not None
        counts = reconcile(session, batch)
        children = {
            d.source_document_id: d
            for d in session.scalars(select(Document).where(Document.parent_id.is_not(None)))
        }
        people = {
            d.source_document_id: sorted(
                session.scalars(
                    select(DocumentLink.person_id).where(DocumentLink.document_id == d.id)
                )
            )
            for d in children.values()
        }
    assert counts["unaccounted"] == 0
    # bundle: 2, mbox: 3, nested: level1, level2, shallow.txt indexed and level3 refused.
    assert counts["attachments"] == {RowState.INDEXED: 8, RowState.QUARANTINED: 1}
    bundle = sorted((d.original_name, d.mime) for k, d in children.items() if k.startswith("Z1#"))
    assert bundle == [
        ("letter.pdf", "application/pdf"),
        ("notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
    for source_id, person_ids in people.items():
        parent = source_id.split("#")[0]
        expected = {"Z1": ["MOS1"], "Z2": ["MOS2"], "Z4": ["MOS3"]}[parent]
        if children[source_id].state == RowState.INDEXED:
            assert person_ids == expected, source_id
    refused = [d for d in children.values() if d.state == RowState.QUARANTINED]
    assert [(d.original_name, d.reason) for d in refused] == [("level3.zip", Reason.TOO_LARGE)]
    assert f"nested deeper than {MAX_DEPTH} levels" in refused[0].detail
    mail_titles = sorted(d.title for k, d in children.items() if k.startswith("Z2#"))
    assert mail_titles == ["Visit 1", "Visit 2", "Visit 3"]
    for word, parent in (
        ("zipquokka", "Z1"),
        ("zipnarwhal", "Z1"),
        ("mboxbeta", "Z2"),
        ("shallowword", "Z4"),
    ):
        found = _found(loaded, word)
        assert len(found) == 1 and found[0].startswith(f"{parent}#"), (word, found)
    assert _found(loaded, "abyssword") == []


def test_random_bytes_named_pdf_are_unreadable_kept_linked_and_queued(loaded: World) -> None:
    with loaded.session() as session:
        row = session.scalars(select(LedgerRow).where(LedgerRow.source_document_id == "Z3")).one()
        document = session.get(Document, row.document_id)
        assert document is not None
        links = list(
            session.scalars(
                select(DocumentLink.person_id).where(DocumentLink.document_id == document.id)
            )
        )
    assert (row.state, row.reason) == (RowState.INDEXED, Reason.UNREADABLE)
    assert document.extension_mismatch and document.sha256
    assert links == ["MOS1"]  # still on the person's record
    queue = loaded.client.get(
        "/api/exceptions", params={"kind": "unreadable"}, headers=_officer(loaded)
    ).json()
    assert [(i["source_document_id"], i["kind"]) for i in queue] == [("Z3", "unreadable")]
    assert queue[0]["kind_label"] == "Unreadable: its content contradicts its name"
    assert queue[0]["detail"] == "named .pdf but its content is application/octet-stream"
    loaded.add_user("mig", "migration_officer", [])
    _login(loaded.client, "mig")
    page = loaded.client.get("/migration/exceptions", params={"kind": "unreadable"})
    assert page.status_code == 200
    shown = re.sub(r"<[^>]+>", "", page.text)  # the page's words, as a reader sees them
    assert "Unreadable: its content contradicts its name: named .pdf" in shown
