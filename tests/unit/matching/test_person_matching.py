"""Person matching (issue 14): misfiled documents caught by what the text says about its
subject, probable matches scored by Splink with blocking, reviewers' decisions reused."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import session_factory
from catalog.matching import candidates_of, resolve_legacy_ids
from catalog.models import Document, DocumentLink, ExceptionItem
from catalog.people import upsert_person
from catalog.schema import migrate
from core.settings import Settings
from workers.link import decide_links
from workers.load import load_archive
from workers.matching.match import SCORE_FLOOR, decide, forget_matcher
from workers.matching.model import Matcher, Scored
from workers.matching.records import Record, record, subject_records
from workers.subject import subject_fields

NOW = datetime.now(UTC).replace(tzinfo=None)


def _person(
    session: Session,
    pid: str,
    given: str,
    family: str,
    born: date,
    *,
    legacy: str = "",
    nhs: str = "",
    postcode: str = "",
) -> None:
    upsert_person(
        session,
        person_id=pid,
        target_system="Liquidlogic",
        given_name=given,
        family_name=family,
        date_of_birth=born,
        date_of_death=None,
        nhs_number=nhs,
        service="children",
        extra={"postcode": postcode} if postcode else {},
        legacy_ids=[("PARIS", legacy)] if legacy else [],
        now=NOW,
    )


def _catalog(settings: Settings) -> Session:
    migrate(settings.database_url)
    session = session_factory(settings.database_url)()
    _person(session, "LCS1", "Noah", "Walsh", date(2020, 5, 1), legacy="100", nhs="9434765919")
    _person(session, "LCS2", "Zara", "Ali", date(2004, 7, 17), legacy="200")
    _person(session, "LCS3", "Robert", "Walsh", date(2010, 3, 4), legacy="300")
    session.commit()
    return session


def test_the_issue_example_a_school_report_naming_zara_ali_on_noahs_record_is_withheld(
    settings: Settings,
) -> None:
    with _catalog(settings) as session:
        text = "School report\nName: Zara Ali, DOB 17/07/2004\nAttendance was good this term."
        found = decide_links(session, system="PARIS", legacy_person_ids=("100",), text=text)
        assert found.links == {}
        assert [kind for kind, _ in found.exceptions] == ["subject_mismatch"]
        assert set(found.candidates) == {"LCS1", "LCS2"}
        assert found.sources == {"LCS1": "crosswalk", "LCS2": "text_name_dob"}
        assert "LCS2" in found.exceptions[0][1]


def test_a_withheld_links_candidates_include_the_named_person_misspelt(
    settings: Settings,
) -> None:
    """Zara Ali's paper on Noah's record with a slip in her name: withheld by the date of
    birth, and Zara is a candidate. Twins whose names share a Soundex key (Amy, Ann) are still
    told apart: Amy's paper on Ann's record is withheld, Amy the candidate."""
    with _catalog(settings) as session:
        _person(session, "T1", "Amy", "Smith", date(2012, 5, 6), legacy="701")
        _person(session, "T2", "Ann", "Smith", date(2012, 5, 6), legacy="702")
        session.commit()
        text = "School report\nName: Zaar Ali, DOB 17/07/2004\n"
        found = decide_links(session, system="PARIS", legacy_person_ids=("100",), text=text)
        assert found.links == {} and found.candidates == ["LCS1", "LCS2"]
        text = "Name: Amy Smith\nDate of birth: 06/05/2012\n"
        found = decide_links(session, system="PARIS", legacy_person_ids=("702",), text=text)
        assert found.links == {} and found.candidates == ["T1", "T2"]
        assert found.sources["T1"] == "text_name_dob"


def test_the_reviewers_candidates_include_whom_the_text_names_swapped_or_ambiguous(
    settings: Settings,
) -> None:
    """Robert Walsh's paper, his date of birth written month first, on Noah's record: Robert is
    a candidate. A legacy ID two people share (recycled), the text naming a third with their
    date of birth: the third is a candidate beside the two."""
    with _catalog(settings) as session:
        _person(session, "LCS7", "Amy", "Jones", date(2001, 1, 1), legacy="800")
        _person(session, "LCS8", "Ben", "Jones", date(1999, 2, 2), legacy="800")
        session.commit()
        text = "Name: Robert Walsh\nDOB: 03/04/2010\n"
        found = decide_links(session, system="PARIS", legacy_person_ids=("100",), text=text)
        assert found.links == {} and found.candidates == ["LCS1", "LCS3"]
        text = "Name: Zara Ali, DOB 17/07/2004\n"
        found = decide_links(session, system="PARIS", legacy_person_ids=("800",), text=text)
        assert [k for k, _ in found.exceptions] == ["ambiguous_legacy_id"]
        assert found.candidates == ["LCS2", "LCS7", "LCS8"]
        assert found.sources["LCS2"] == "text_name_dob"


def test_a_name_that_is_nobodys_in_the_catalog_never_overrides_the_crosswalk(
    settings: Settings,
) -> None:
    with _catalog(settings) as session:
        text = "Letter\nName: Mary Jones\nWe write about the visit."
        found = decide_links(session, system="PARIS", legacy_person_ids=("100",), text=text)
        assert list(found.links) == ["LCS1"] and found.exceptions == []


def test_a_relatives_name_without_the_linked_persons_own_withholds(settings: Settings) -> None:
    """A wrong crosswalk entry under a sibling group's paper: the text names Robert and Amy
    Walsh, the crosswalk says Noah Walsh. No date of birth to compare; the family name says
    the subject is Noah's family and the given names say it is not Noah."""
    with _catalog(settings) as session:

        def links(text: str, *legacy: str) -> tuple[list[str], list[str]]:
            found = decide_links(session, system="PARIS", legacy_person_ids=legacy, text=text)
            return sorted(found.links), [kind for kind, _ in found.exceptions]

        assert links("Name: Robert and Amy Walsh\nDate: 01/02/2020\n", "100") == (
            [],
            ["subject_mismatch"],
        )
        # Each sibling named together, under a nickname or with a slip, keeps their link.
        assert links("Name: Bob and Noah Walsh\n", "100", "300") == (["LCS1", "LCS3"], [])
        assert links("Name: Naoh Walsh\n", "100") == (["LCS1"], [])
        assert links("Re: Robret Walsh\n", "300") == (["LCS3"], [])
        assert links("Re: Bbo Walsh\n", "300") == (["LCS3"], [])  # a slip in the short form
        # Another family's name is not a relative's: a name alone still never withholds.
        assert links("Name: Amy Ali\n", "100") == (["LCS1"], [])


def test_another_catalog_persons_name_without_the_linked_persons_withholds(
    settings: Settings,
) -> None:
    """A file with no text (an Access database) under a wrong crosswalk entry: only its
    manifest title says who it is about. Another catalog person's full name there, and not
    the linked person's, withholds; a name that is nobody's in the catalog does not."""
    with _catalog(settings) as session:

        def links(text: str, title: str) -> tuple[list[str], list[str], list[str]]:
            found = decide_links(
                session, system="PARIS", legacy_person_ids=("100",), text=text, title=title
            )
            return sorted(found.links), [k for k, _ in found.exceptions], found.candidates

        assert links("", "Case note - home visit - Zara Ali") == (
            [],
            ["subject_mismatch"],
            ["LCS1", "LCS2"],
        )
        assert links("", "Case note - home visit - Noah Walsh") == (["LCS1"], [], [])
        assert links("", "Letter from Dr Jane Patel - home visit") == (["LCS1"], [], [])
        # Another writer's spelling of the linked person's name is theirs, not a stranger's,
        # even where a catalog person is called by that spelling.
        _person(session, "LCS4", "Leila", "Ahmed", date(2011, 2, 3), legacy="400")
        _person(session, "LCS5", "Layla", "Ahmad", date(2009, 9, 9), legacy="500")
        _person(session, "LCS6", "Ruby", "Ahmad", date(2012, 1, 1), legacy="600")
        session.commit()
        for text in ("Name: Layla Ahmad\n", "Name: Leila Ahmad\n", "Re: Lelia Ahmed\n"):
            found = decide_links(session, system="PARIS", legacy_person_ids=("400",), text=text)
            assert list(found.links) == ["LCS4"], text
        found = decide_links(
            session, system="PARIS", legacy_person_ids=("400",), text="Name: Ruby Ahmad\n"
        )
        assert found.links == {} and found.candidates == ["LCS4", "LCS6"]
        # The text's own subject block comes first: it names Noah, the title is not read.
        assert links("Name: Noah Walsh\n", "Zara Ali") == (["LCS1"], [], [])
        # In the text too: Zara Ali's name alone, on Noah's record.
        assert links("Name: Zara Ali\n", "") == ([], ["subject_mismatch"], ["LCS1", "LCS2"])


def test_a_date_of_birth_or_nhs_number_that_is_not_the_linked_persons_withholds(
    settings: Settings,
) -> None:
    with _catalog(settings) as session:
        wrong_dob = decide_links(
            session,
            system="PARIS",
            legacy_person_ids=("100",),
            text="Name: Noah Walsh\nDate of birth: 02/02/2015\n",
        )
        assert wrong_dob.links == {} and wrong_dob.exceptions[0][0] == "subject_mismatch"
        # A wrong crosswalk entry caught by an NHS number that is nobody's in the catalog.
        wrong_nhs = decide_links(
            session,
            system="PARIS",
            legacy_person_ids=("100",),
            text="Name: Noah Walsh\nNHS number: 401 023 2137\n",
        )
        assert wrong_nhs.links == {} and "NHS number" in wrong_nhs.exceptions[0][1]
        # The day and month swapped is still the linked person's date of birth.
        swapped = decide_links(
            session,
            system="PARIS",
            legacy_person_ids=("300",),
            text="Name: Robert Walsh\nDOB: 03/04/2010\n",
        )
        assert list(swapped.links) == ["LCS3"] and swapped.exceptions == []


def _match(people: list[dict[str, object]], text: str) -> tuple[str | None, list[str]]:
    outcome = decide(Matcher(people).score(subject_records(1, subject_fields(text), {}))).get(1)
    if outcome is None:
        return None, []
    return (outcome.link.person_id if outcome.link else None), [
        c.person_id for c in outcome.candidates
    ]


TWINS = [
    record("T1", given="Amy", family="Smith", dob=date(2012, 5, 6), nhs="9434765919",
           postcode="SY4 7QT"),
    record("T2", given="Ben", family="Smith", dob=date(2012, 5, 6), nhs="4010232137",
           postcode="SY4 7QT"),
    record("P3", given="Robert", family="Walsh", dob=date(2010, 3, 4)),
    record("P4", given="Zara", family="Ali", dob=date(2004, 7, 17)),
]  # fmt: skip


def test_twins_are_never_swapped() -> None:
    amy, _ = _match(TWINS, "Name: Amy Smith\nDOB 06/05/2012\nNHS number: 943 476 5919\n")
    assert amy == "T1"
    # Amy's name with Ben's NHS number: a contradiction, never an automatic link to either.
    mixed, candidates = _match(TWINS, "Name: Amy Smith\nDOB 06/05/2012\nNHS number: 4010232137\n")
    assert mixed is None and set(candidates) <= {"T1", "T2"} and candidates
    # No NHS number: never Ben.
    plain, _ = _match(TWINS, "Name: Amy Smith\nDOB 06/05/2012\n")
    assert plain != "T2"


def test_a_day_month_swap_and_a_nickname_still_match() -> None:
    assert _match(TWINS, "Name: Robert Walsh\nDOB: 03/04/2010\n")[0] == "P3"
    assert _match(TWINS, "Name: Bob Walsh\nDate of birth: 04/03/2010\n")[0] == "P3"
    # A typo in the family name with the date of birth: still Zara.
    linked, candidates = _match(TWINS, "Name: Zara Alli\nDOB 17/07/2004\n")
    assert linked == "P4" or candidates[:1] == ["P4"]


def test_a_name_alone_is_never_an_automatic_link() -> None:
    linked, candidates = _match(TWINS, "Name: Zara Ali\n")
    assert linked is None and candidates[:1] == ["P4"]


def _people_and_texts(
    rng: random.Random, given_names: list[str], surnames: list[str], people: int, named: int
) -> tuple[list[Record], list[Record]]:
    """`people` people of names drawn from these and dates of birth in 1990-2019, and the
    subject records of texts naming the first `named` of them with their date of birth."""
    records = [
        record(
            f"P{i}",
            given=rng.choice(given_names),
            family=rng.choice(surnames),
            dob=date(1990 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28)),
        )
        for i in range(people)
    ]
    subjects = [
        r
        for n, p in enumerate(records[:named])
        for r in subject_records(
            n, subject_fields(f"Name: {p['given']} {p['family']}\nDOB {p['dob']}\n"), {}
        )
    ]
    return records, subjects


def test_blocking_keeps_the_pairs_scored_to_the_candidates() -> None:
    rng = random.Random(3)

    def word() -> str:
        return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))

    surnames = [word().capitalize() for _ in range(800)]
    given_names = [word().capitalize() for _ in range(60)]
    people, subjects = _people_and_texts(rng, given_names, surnames, people=3_000, named=40)
    scored = Matcher(people).score(subjects)
    # Every subject reaches its own person, and far fewer pairs than people x documents.
    assert {(int(s.subject_id.split(":")[0]), s.person_id) for s in scored} >= {
        (n, f"P{n}") for n in range(40)
    }
    assert len(scored) < 0.01 * len(people) * len(subjects)


def test_a_legacy_id_resolved_by_a_reviewer_links_its_documents_in_later_rounds(
    settings: Settings,
) -> None:
    with _catalog(settings) as session:
        assert decide_links(session, system="PARIS", legacy_person_ids=("977606",), text="")
        document = Document(
            source_system="PARIS",
            source_document_id="D1",
            legacy_person_ids="977606",
            state="indexed",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(document)
        session.flush()
        assert resolve_legacy_ids(session, document, "LCS2", decided_by="dco1", now=NOW) == [
            "PARIS:977606"
        ]
        session.flush()  # the reviewer's decision commits; the next round reads it
        later = decide_links(session, system="PARIS", legacy_person_ids=("977606",), text="")
        assert list(later.links) == ["LCS2"] and "dco1" in later.links["LCS2"]


PEOPLE_CSV = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "LCS1,Liquidlogic,PARIS:100,Noah,Walsh,2020-05-01,,,children\n"
    "LCS2,Liquidlogic,PARIS:200,Zara,Ali,2004-07-17,,,children\n"
    "LCS3,Liquidlogic,PARIS:300,Robert,Walsh,2010-03-04,,,children\n"
)
MANIFEST = (
    "source_system,source_document_id,legacy_person_id,file_path,title,legacy_doc_type,"
    "document_date,sha256\n"
    "PARIS,D1,100,files/report.txt,School report,EDU,01/03/2021,\n"
    "PARIS,D2,,files/letter.txt,Letter,LETOUT,01/03/2021,\n"
    "PARIS,D3,300,files/visit.txt,Home visit,VISIT,01/03/2021,\n"
)
FILES = {
    "files/report.txt": "School report\nName: Zara Ali, DOB 17/07/2004\nA good term.\n",
    "files/letter.txt": "Dear Mr Walsh,\nRe: Bob Walsh (DOB 04/03/2010)\nAbout the visit.\n",
    "files/visit.txt": "Home visit\nName: Robert Walsh\nDate of birth: 04/03/2010\nSeen.\n",
}


def test_escr_load_withholds_the_misfiled_and_links_the_probable(
    settings: Settings, tmp_path: Path
) -> None:
    forget_matcher()
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    load_archive(
        settings,
        manifest=tmp_path / "manifest.csv",
        people=tmp_path / "people.csv",
        workers=1,
        progress=False,
    )
    with session_factory(settings.database_url)() as session:
        ids = {d.source_document_id: d.id for d in session.scalars(select(Document))}
        links = {
            (row.document_id, row.person_id, row.method)
            for row in session.scalars(select(DocumentLink))
        }
        assert not any(d == ids["D1"] for d, _, _ in links)  # not on Noah's record
        assert (ids["D2"], "LCS3", "probable") in links  # Bob Walsh, born 4 March 2010
        assert (ids["D3"], "LCS3", "crosswalk") in links
        item = session.scalar(select(ExceptionItem).where(ExceptionItem.document_id == ids["D1"]))
        assert item is not None and item.kind == "subject_mismatch"
        sources = {c.person_id: c.source for c in candidates_of(session, ids["D1"], item.kind)}
        assert sources == {"LCS1": "crosswalk", "LCS2": "text_name_dob"}
        reason = next(
            r.reason for r in session.scalars(select(DocumentLink)) if r.document_id == ids["D2"]
        )
        assert "date of birth" in reason and "given name" in reason


def test_the_score_floor_drops_pairs_without_changing_a_decision() -> None:
    """Matcher.score(min_probability=SCORE_FLOOR) filters in DuckDB; decide() must reach the
    same links and the same ranked candidates as from every blocked pair."""
    rng = random.Random(7)
    surnames = ["Walsh", "Welsh", "Ali", "Allie", "Hussain", "Husain", "Smith", "Smyth"]
    given_names = ["Robert", "Bob", "Mohammed", "Muhammad", "Amy", "Amie", "Zara", "Noah"]
    people = []
    for i in range(400):
        born = date(2000 + rng.randrange(8), 1 + rng.randrange(12), 1 + rng.randrange(28))
        people.append(
            record(f"P{i}", given=rng.choice(given_names), family=rng.choice(surnames), dob=born)
        )
    people.append({**people[0], "unique_id": "P-twin", "given": "zara", "given_forms": ["zara"]})
    subjects = []
    for n, p in enumerate(people[:60]):
        year, month, day = p["dob"].split("-")
        dob = f"{year}-{day}-{month}" if n % 3 == 0 and int(day) <= 12 else p["dob"]  # swapped
        given = p["given"] if n % 4 else p["given"][:-1] + "e"  # a typo
        subjects += subject_records(
            n, subject_fields(f"Name: {given} {p['family']}\nDOB {dob}\n"), {}
        )
    matcher = Matcher(people)
    every, floored = matcher.score(subjects), matcher.score(subjects, min_probability=SCORE_FLOOR)
    assert len(floored) < len(every) / 2

    def summary(scored: list[Scored]) -> dict[int, tuple[str | None, list[str]]]:
        return {
            d: (o.link.person_id if o.link else None, [c.person_id for c in o.candidates])
            for d, o in decide(scored).items()
            if o.link or o.candidates
        }

    assert summary(floored) == summary(every)
    assert any(link for link, _ in summary(every).values())  # links were decided, not only queued


def test_one_matcher_scores_batches_from_many_threads() -> None:
    """The process's matcher is shared by the Celery worker's threads: two batches at once on
    its one DuckDB connection failed a document with "connection is busy with another call"
    (internal_error, seen in the scale-out fault test)."""
    families = [f"fam{n}" for n in range(50)]
    people, subjects = _people_and_texts(
        random.Random(3), ["ann", "bob", "cara", "dev"], families, people=500, named=20
    )
    matcher = Matcher(people)
    alone = sorted((s.subject_id, s.person_id) for s in matcher.score(subjects))
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda _: matcher.score(subjects), range(24)))
    assert all(sorted((s.subject_id, s.person_id) for s in got) == alone for got in together)
