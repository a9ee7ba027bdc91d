"""A small archive across two teams, with an adoption document and an unlinked letter, for the
access-control tests (API and browser)."""

from __future__ import annotations

from pathlib import Path

PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Ann,Ash,2010-01-01,,9434765919,children\n"
    "MOS2,Mosaic,PARIS:200,Ben,Birch,2011-02-02,,,children\n"
    "MOS3,Mosaic,PARIS:300,Cara,Cedar,2012-03-03,,,children\n"
)
MANIFEST = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
    "PARIS,D1,100,files/visit.txt,Home visit,VISIT,01/03/2020,\n"
    "PARIS,D2,200,files/plan.txt,Care plan,CPLAN,2021-06-01,\n"
    "PARIS,D3,,files/orphan.txt,Letter about the allotment,LETOUT,2019-01-01,\n"
    "PARIS,D4,100,files/adoption.txt,Adoption panel report,ADOPT,2022-02-02,\n"
    "PARIS,D5,300,files/cara.txt,Letter to school,LETOUT,2018-05-05,\n"
)
FILES = {
    "files/visit.txt": "Home visit record. Ann was seen with her grandmother at the flat.\n",
    "files/plan.txt": "Care plan agreed for Ben. The grandmother will provide respite.\n",
    "files/orphan.txt": "Dear Sir, the grandmother telephoned about the allotment.\n",
    "files/adoption.txt": "Adoption panel report. The grandmother supports the plan.\n",
    "files/cara.txt": "Letter to the school about Cara's attendance and her grandmother.\n",
}
# Who works with whom: team A has Ann and Cara, team B has Ben.
ALLOCATIONS = (("MOS1", "team-a"), ("MOS3", "team-a"), ("MOS2", "team-b"))


def make_teams_archive(root: Path) -> Path:
    """Write the archive under `root`; returns the manifest path."""
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    return root / "manifest.csv"
