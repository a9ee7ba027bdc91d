"""Person events through the API: a merge of 50 documents (search, person pages and retention
agree after, and the undo restores all three), refusals, and a merged-away person's later
links and deep links following the merge."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from catalog import documents as docs
from catalog.models import Document, Person
from catalog.models_retention import RetentionDecision
from core.clock import utcnow
from records.person_events import merged_into
from retention import appraise
from retention.evaluate import Evaluator
from retention.facts import load_facts
from retention.periods import server_today
from retention.schedule import load_schedule
from tests.unit.access.conftest import ADMIN, World
from tests.unit.api.cms_world import LETTERS, cms_world
from tests.unit.web.conftest import log_in

__all__ = ["cms_world"]
REASON = "Duplicate record merged in Mosaic by the data quality team"


def _on(world: World, person_id: str) -> set[int]:
    answer = world.client.get(f"/api/people/{person_id}/documents", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {d["document_id"] for d in answer.json()["documents"]}


def _searched(world: World, person_id: str, q: str = "") -> set[int]:
    params: dict[str, Any] = {"person": person_id, "limit": 200}
    if q:
        params["q"] = q
    answer = world.client.get("/api/search", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {h["document_id"] for h in answer.json()["hits"]}


def _decisions(world: World, ids: set[int]) -> dict[int, tuple[date | None, str]]:
    with world.session() as session:
        rows = session.scalars(
            select(RetentionDecision).where(RetentionDecision.document_id.in_(ids))
        )
        return {r.document_id: (r.retain_until, r.reason) for r in rows}


def _expected(world: World, person_id: str, ids: set[int]) -> dict[int, date | None]:
    """What the schedule decides for these documents on this person alone, worked out here."""
    evaluator = Evaluator(load_schedule())
    with world.session() as session:
        facts = load_facts(session, [person_id])[person_id]
        out = {}
        for document in session.scalars(select(Document).where(Document.id.in_(ids))):
            decision = evaluator.decide(
                doc_type=document.doc_type,
                confidence=document.type_confidence,
                confirmed=document.type_confirmed,
                people=[(person_id, facts)],
                today=server_today(),
            )
            out[document.id] = decision.retain_until
        return out


def test_a_merge_of_50_documents_moves_search_pages_and_retention_and_the_undo_restores(
    cms_world: World,
) -> None:
    world = cms_world
    with world.session() as session:
        appraise.evaluate(session, Evaluator(load_schedule()), today=server_today())
        session.commit()
    bens, anns = _on(world, "MOS2"), _on(world, "MOS1")
    letters = _searched(world, "MOS2", "quokka")
    assert len(letters) == LETTERS and letters <= bens
    before = _decisions(world, bens)
    assert _searched(world, "MOS1", "quokka") == set()

    answer = world.client.post(
        "/api/people/merge", json={"from": "MOS2", "into": "MOS1", "reason": REASON}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["from"] == "MOS2" and done["into"] == "MOS1" and done["reindexed"] is True
    assert set(done["documents"]) == bens
    assert done["retention"]["evaluated"] >= len(bens)

    # The person pages and the search agree: everything of Ben's is Ann's now.
    assert _on(world, "MOS2") == set()
    assert _on(world, "MOS1") == anns | bens
    assert _searched(world, "MOS1", "quokka") == letters
    assert _searched(world, "MOS2", "quokka") == set()
    # Retention re-evaluated on Ann's facts (born a year before Ben: an earlier end).
    after = _decisions(world, bens)
    expected = _expected(world, "MOS1", bens)
    assert {i: after[i][0] for i in bens} == expected
    assert any(after[i][0] != before[i][0] for i in letters)

    undone = world.client.post(
        f"/api/people/events/{done['event_id']}/undo",
        json={"reason": "Mosaic reversed the merge: two children after all"},
        headers=ADMIN,
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone"] is True
    assert _on(world, "MOS2") == bens and _on(world, "MOS1") == anns
    assert _searched(world, "MOS2", "quokka") == letters
    assert _searched(world, "MOS1", "quokka") == set()
    assert {i: d[0] for i, d in _decisions(world, bens).items()} == {
        i: d[0] for i, d in before.items()
    }
    record = world.client.get(f"/api/people/events/{done['event_id']}", headers=ADMIN).json()
    assert record["undone_by"] == "api:token" and record["reason"] == REASON


def test_a_merged_away_person_is_never_orphaned_and_their_deep_link_follows(
    cms_world: World,
) -> None:
    world = cms_world
    answer = world.client.post(
        "/api/people/merge", json={"from": "MOS3", "into": "MOS1", "reason": REASON}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    orphan = world.ids["D3"]  # the unlinked letter: a later round links it to Cara (MOS3)
    with world.session() as session:
        docs.add_link(
            session,
            document_id=orphan,
            person_id="MOS3",
            method="crosswalk",
            reason="PARIS 300",
            actor="escr",
            now=utcnow(),
        )
        session.commit()
        assert docs.linked_person_ids(session, orphan) == ["MOS1"]
    # Cara's legacy ID now finds Ann in the crosswalk too.
    found = world.client.get("/api/people", params={"q": "PARIS 300"}, headers=ADMIN).json()
    assert [h["person_id"] for h in found["hits"]] == ["MOS1"]
    world.add_user("rita", "migration_officer", [])
    log_in(world.client, "rita")
    followed = world.client.get("/link/people/MOS3", follow_redirects=False)
    assert followed.status_code == 303 and followed.headers["location"] == "/people/MOS1"
    page = world.client.get("/people/MOS3")  # the chronology's own address follows too
    assert page.status_code == 200 and str(page.url).endswith("/people/MOS1")


def test_person_events_are_refused_to_practitioners_and_checked(cms_world: World) -> None:
    world = cms_world
    practitioner = world.issuer.headers("pat", ["practitioner"], ["team-a"])
    body = {"from": "MOS2", "into": "MOS1", "reason": REASON}
    assert (
        world.client.post("/api/people/merge", json=body, headers=practitioner).status_code == 403
    )
    assert _on(world, "MOS1").isdisjoint(_on(world, "MOS2"))
    same = {"from": "MOS1", "into": "MOS1", "reason": REASON}
    assert world.client.post("/api/people/merge", json=same, headers=ADMIN).status_code == 422
    short = {"from": "MOS2", "into": "MOS1", "reason": "dup"}
    assert world.client.post("/api/people/merge", json=short, headers=ADMIN).status_code == 422
    assert world.client.post("/api/people/merge", json=body, headers=ADMIN).status_code == 200
    again = world.client.post("/api/people/merge", json=body, headers=ADMIN)
    assert again.status_code == 409 and "merged into 'MOS1'" in again.json()["detail"]


def test_a_split_moves_the_named_documents_to_a_new_person(cms_world: World) -> None:
    world = cms_world
    bens = sorted(_searched(world, "MOS2", "quokka"))
    moving = bens[:3]
    answer = world.client.post(
        "/api/people/split",
        json={
            "from": "MOS2",
            "into": "MOS9",
            "document_ids": moving,
            "reason": "Three letters were about Ben's cousin, a new record in Mosaic",
            "new_person": {"given_name": "Bo", "family_name": "Birch", "nhs_number": "4010232137"},
        },
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text
    assert _on(world, "MOS9") == set(moving)
    assert _searched(world, "MOS9", "quokka") == set(moving)
    assert _searched(world, "MOS2", "quokka") == set(bens[3:])
    wrong = world.client.post(
        "/api/people/split",
        json={"from": "MOS2", "into": "MOS9", "document_ids": moving, "reason": REASON},
        headers=ADMIN,
    )
    assert wrong.status_code == 422  # they are not on Ben any more
    undone = world.client.post(
        f"/api/people/events/{answer.json()['event_id']}/undo",
        json={"reason": "Mosaic undid the split of Ben's record"},
        headers=ADMIN,
    )
    assert undone.status_code == 200, undone.text
    assert _on(world, "MOS9") == set() and _searched(world, "MOS2", "quokka") == set(bens)
    with world.session() as session:
        made = session.get(Person, "MOS9")
        assert made is not None and made.nhs_number == ""  # no twin NHS number left behind


def test_a_new_person_id_moves_the_record_and_old_links_follow(cms_world: World) -> None:
    world = cms_world
    bens = _on(world, "MOS2")
    answer = world.client.post(
        "/api/people/identifiers",
        json={"person_id": "MOS2", "new_person_id": "LL-0002", "reason": "Liquidlogic go-live IDs"},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kind"] == "identifiers"
    assert _on(world, "LL-0002") == bens and _on(world, "MOS2") == set()
    world.add_user("rita", "migration_officer", [])
    log_in(world.client, "rita")
    followed = world.client.get("/link/people/MOS2", follow_redirects=False)
    assert followed.headers["location"] == "/people/LL-0002"


def test_a_merge_carries_restriction_marks_and_the_undo_takes_them_back(cms_world: World) -> None:
    world = cms_world
    mark = {
        "target_type": "person",
        "target_id": "MOS2",
        "restriction": "adoption",
        "reason": "Ben's record is an adoption record",
    }
    assert world.client.post("/api/admin/restrictions", json=mark, headers=ADMIN).status_code < 300
    letters = _searched(world, "MOS2", "quokka")
    team_a = world.issuer.headers("pat", ["practitioner"], ["team-a"])  # Ann's team, no grant
    merged = world.client.post(
        "/api/people/merge", json={"from": "MOS2", "into": "MOS1", "reason": REASON}, headers=ADMIN
    )
    assert merged.status_code == 200, merged.text
    # The letters are Ann's now, and Ann's record carries Ben's adoption mark: team A sees none.
    seen = world.client.get("/api/search", params={"q": "quokka"}, headers=team_a).json()
    assert seen["total"] == 0
    for document_id in sorted(letters)[:3]:
        answer = world.client.get(f"/api/documents/{document_id}", headers=team_a)
        assert answer.status_code == 404
    undone = world.client.post(
        f"/api/people/events/{merged.json()['event_id']}/undo",
        json={"reason": "Mosaic reversed the merge of the two records"},
        headers=ADMIN,
    )
    assert undone.status_code == 200, undone.text
    # Ann's own visit record is hers to see again: the carried mark went with the undo.
    visit = world.client.get(f"/api/documents/{world.ids['D1']}", headers=team_a)
    assert visit.status_code == 200


def test_only_the_latest_event_of_its_people_is_undone(cms_world: World) -> None:
    world = cms_world
    first = world.client.post(
        "/api/people/merge", json={"from": "MOS3", "into": "MOS2", "reason": REASON}, headers=ADMIN
    ).json()
    second = world.client.post(
        "/api/people/merge", json={"from": "MOS2", "into": "MOS1", "reason": REASON}, headers=ADMIN
    ).json()
    reason = {"reason": "Mosaic reversed these merges today"}
    early = world.client.post(
        f"/api/people/events/{first['event_id']}/undo", json=reason, headers=ADMIN
    )
    assert early.status_code == 409 and str(second["event_id"]) in early.json()["detail"]
    # Chains stay flat: Cara's record points straight at Ann's, where her documents are.
    with world.session() as session:
        assert merged_into(session, "MOS3") == "MOS1"
    assert _on(world, "MOS1") >= set(first["documents"])
    for event in (second, first):
        answer = world.client.post(
            f"/api/people/events/{event['event_id']}/undo", json=reason, headers=ADMIN
        )
        assert answer.status_code == 200, answer.text
    assert _on(world, "MOS3") == set(first["documents"])
    assert (
        world.client.post(
            f"/api/people/events/{first['event_id']}/undo", json=reason, headers=ADMIN
        ).status_code
        == 409
    )


def test_a_merged_away_persons_links_say_nothing_outside_the_callers_access(
    cms_world: World,
) -> None:
    """A team-B practitioner's /link/people/MOS1 (Ann, team A, merged into Cara) was sent to
    /people/MOS3, telling them the merge and Cara's ID; an unknown ID is sent to its own page.
    Now a merge is followed only to a person the caller may see."""
    world = cms_world
    answer = world.client.post(
        "/api/people/merge", json={"from": "MOS1", "into": "MOS3", "reason": REASON}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    world.add_user("bbrown", "practitioner", ["team-b"])
    log_in(world.client, "bbrown")
    for link in ("/link/people/MOS1", "/people/MOS1"):
        followed = world.client.get(link, follow_redirects=True)
        unknown = world.client.get(link.replace("MOS1", "NOPE1"), follow_redirects=True)
        assert followed.status_code == unknown.status_code == 404, link
        assert "MOS3" not in followed.text and "MOS3" not in str(followed.url)
        assert [r.headers.get("location") for r in followed.history] == [
            r.headers.get("location", "").replace("NOPE1", "MOS1") for r in unknown.history
        ]
    # Ann's own team still follows her record to Cara.
    world.add_user("jsmith", "practitioner", ["team-a"])
    log_in(world.client, "jsmith")
    followed = world.client.get("/link/people/MOS1", follow_redirects=False)
    assert followed.headers["location"] == "/people/MOS3"
