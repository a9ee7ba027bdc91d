"""Later rounds after a merge: a round whose people file still lists the merged-away person
(the CMS export was taken before the merge) and a legacy ID a reviewer resolved to them both
land their documents on the person the record went into. Nothing is orphaned."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from catalog import documents as docs
from catalog.models import Document, ExceptionItem
from catalog.models_matching import LegacyIdResolution
from tests.unit.access.conftest import ADMIN, World
from tests.unit.api.cms_world import cms_world
from workers.load import load_archive

__all__ = ["cms_world"]
HEADER = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
)


def _round(world: World, folder: Path, rows: dict[str, tuple[str, str]]) -> None:
    """A later round: the first round's people file, these (legacy ID, text) documents."""
    archive = folder
    (archive / "files").mkdir(parents=True)
    lines = [HEADER]
    for source_id, (legacy_id, text) in rows.items():
        (archive / "files" / f"{source_id}.txt").write_text(text, encoding="utf-8")
        lines.append(
            f"PARIS,{source_id},{legacy_id},files/{source_id}.txt,Note {source_id},NOTE,"
            "2023-03-03,\n"
        )
    (archive / "manifest.csv").write_text("".join(lines), encoding="utf-8")
    people = folder.parent / "archive" / "people.csv"  # still lists MOS2 with PARIS:200
    summary = load_archive(
        world.settings,
        manifest=archive / "manifest.csv",
        people=people,
        workers=1,
        progress=False,
    )
    assert summary["unaccounted"] == 0


def _people_of(world: World, source_id: str) -> list[str]:
    with world.session() as session:
        document = session.scalars(
            select(Document).where(Document.source_document_id == source_id)
        ).one()
        return docs.linked_person_ids(session, document.id)


def test_later_rounds_after_a_merge_land_on_the_person_it_went_into(
    cms_world: World, tmp_path: Path
) -> None:
    world = cms_world
    _round(
        world, tmp_path / "round2", {"U1": ("999", "A note naming nobody the crosswalk knows.\n")}
    )
    assert _people_of(world, "U1") == []
    with world.session() as session:
        item = session.scalars(
            select(ExceptionItem)
            .join(Document, Document.id == ExceptionItem.document_id)
            .where(Document.source_document_id == "U1", ExceptionItem.status == "open")
        ).first()
        assert item is not None
        item_id = item.id
    linked = world.client.post(
        f"/api/exceptions/{item_id}/link",
        json={"person_id": "MOS2", "note": "the note is about Ben"},
        headers=ADMIN,
    )
    assert linked.status_code == 200, linked.text
    merged = world.client.post(
        "/api/people/merge",
        json={"from": "MOS2", "into": "MOS1", "reason": "Duplicate record merged in Mosaic"},
        headers=ADMIN,
    )
    assert merged.status_code == 200, merged.text
    assert _people_of(world, "U1") == ["MOS1"]
    with world.session() as session:
        resolution = session.scalars(
            select(LegacyIdResolution).where(LegacyIdResolution.legacy_id == "999")
        ).one()
        assert resolution.person_id == "MOS1"

    _round(
        world,
        tmp_path / "round3",
        {
            "U2": ("999", "Another note for legacy ID 999.\n"),
            "B2": ("200", "A note for Ben's legacy ID after the merge.\n"),
        },
    )
    assert _people_of(world, "U2") == ["MOS1"]
    assert _people_of(world, "B2") == ["MOS1"]
    answer = world.client.get("/api/people/MOS2/documents", headers=ADMIN).json()
    assert answer["documents"] == [] and answer["person"]["merged_into"] == "MOS1"
    ann = world.client.get("/api/people/MOS1/documents", headers=ADMIN).json()
    assert ann["person"]["merged_into"] is None
