"""A small archive for the SAR workbench tests: Jane Smith's record (three documents), a
neighbour who is a catalog person of his own (suggested for redaction), an uncle whose name a
reviewer redacts as serious harm, and a note on another child that mentions Jane with her date
of birth (a candidate, included only by a person's decision)."""

from __future__ import annotations

from pathlib import Path

SUBJECT = "MOS1"
NEIGHBOUR = "Peter Walsh"
UNCLE = "Robert Kane"
PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service,team\n"
    "MOS1,Mosaic,PARIS:100,Jane,Smith,2009-04-05,,9434765919,children,team-a\n"
    "MOS2,Mosaic,PARIS:200,Peter,Walsh,1961-02-11,,,adults,team-a\n"
    "MOS3,Mosaic,PARIS:300,Tom,Brown,2008-01-01,,,children,team-a\n"
)
FILES = {
    "visit.txt": f"Home visit to Jane Smith. Her neighbour {NEIGHBOUR} had rung the duty team "
    "about shouting late at night. Jane said home was fine and showed me her school reports.\n",
    "plan.txt": f"Care plan for Jane Smith. Contact with her father on Saturdays. Jane told us "
    f"that {UNCLE} frightens her; she does not want him to know she said so.\n",
    "note.txt": f"Case note. {NEIGHBOUR} rang again about Jane Smith; the social worker will "
    "visit next week.\n",
    "tom.txt": "Tom Brown's case note. Tom spoke about his friend Jane Smith (born 05/04/2009) "
    "who lives on the same road.\n",
}
MANIFEST = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
    "PARIS,D1,100,visit.txt,Home visit,VISIT,2025-01-10,\n"
    "PARIS,D2,100,plan.txt,Care plan,CPLAN,2025-01-11,\n"
    "PARIS,D3,100,note.txt,Call from the neighbour,NOTE,2025-01-12,\n"
    "PARIS,D4,300,tom.txt,Case note on Tom,NOTE,2025-01-13,\n"
)


def write_sar_archive(root: Path) -> Path:
    """Write the archive under `root`; its manifest's path (people.csv beside it)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    return root / "manifest.csv"
