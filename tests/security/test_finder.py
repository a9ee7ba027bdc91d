"""The person finder (issue 14): a practitioner finds only the people they may see, by every
kind of search, and a person outside their access is not revealed, not even by a count."""

from __future__ import annotations

import pytest

from tests.security.conftest import ADULTS, NORTH, Demo


def _searches(person: dict[str, str]) -> list[str]:
    """Every way the finder can be asked for this person."""
    born = person["date_of_birth"]  # YYYY-MM-DD in the synthetic people.csv
    year, month, day = born.split("-")
    legacy = person["legacy_ids"].split(";")[0]  # SYSTEM:ID
    nhs = person["nhs_number"]
    found = [
        f"{person['given_name']} {person['family_name']}",
        person["family_name"].upper(),
        f"{person['family_name']} {day}/{month}/{year}",
        person["person_id"],
        legacy.split(":", 1)[1],
        legacy.replace(":", " "),
    ]
    if nhs:
        found += [nhs, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"]
    return found


def _other_team_person(demo: Demo) -> dict[str, str]:
    mine = set(demo.team_people(NORTH))
    # Someone in the other team, with an NHS number, whose name nobody in the practitioner's
    # team shares (else the name search rightly finds the namesake).
    names = {p["family_name"] for p in demo.people if p["person_id"] in mine}
    return next(
        p
        for p in demo.people
        if p["team"] == ADULTS and p["family_name"] not in names and p["nhs_number"]
    )


def test_a_practitioner_finds_their_teams_people_by_every_identifier(demo: Demo) -> None:
    api = demo.client(demo.as_user("sw-north"))
    person = next(p for p in demo.people if p["team"] == NORTH)
    for q in _searches(person):
        body = api.get("/api/people", params={"q": q}).json()
        assert person["person_id"] in [h["person_id"] for h in body["hits"]], q


@pytest.mark.parametrize("kind", range(8))
def test_another_teams_person_is_not_found_nor_counted(demo: Demo, kind: int) -> None:
    api = demo.client(demo.as_user("sw-north"))
    person = _other_team_person(demo)
    searches = _searches(person)
    assert len(searches) == 8  # the person chosen has an NHS number: every kind is asked
    q = searches[kind]
    answer = api.get("/api/people", params={"q": q})
    assert answer.status_code == 200
    body = answer.json()
    assert person["person_id"] not in answer.text
    # Nobody of the practitioner's own team matches these words either: the total is 0, as for
    # a person who does not exist, so the count tells nothing.
    assert body == {"total": 0, "hits": []}, q
    # The migration officer (every person) finds them with the same words: the search works.
    everyone = demo.client(demo.as_user("mig")).get("/api/people", params={"q": q}).json()
    assert person["person_id"] in [h["person_id"] for h in everyone["hits"]], q


def test_the_finder_is_audited_with_the_people_shown(demo: Demo) -> None:
    api = demo.client(demo.as_user("sw-north"))
    person = next(p for p in demo.people if p["team"] == NORTH)
    api.get("/api/people", params={"q": person["person_id"]}).raise_for_status()
    rows = demo.rows(
        "SELECT person_ids, detail FROM audit_events WHERE action = 'find_people' "
        "AND actor = 'sw-north' AND target_id = ? ORDER BY id DESC LIMIT 1",
        person["person_id"],
    )
    assert rows and person["person_id"] in rows[0][0]


def test_caseload_lists_the_teams_people_only(demo: Demo) -> None:
    body = demo.client(demo.as_user("sw-north")).get("/api/caseload").json()
    assert sorted(h["person_id"] for h in body["hits"]) == sorted(demo.team_people(NORTH))
    assert body["total"] == len(demo.team_people(NORTH))
    assert demo.client(demo.as_user("mig")).get("/api/caseload").json()["total"] == 0


def test_finder_bounds(demo: Demo) -> None:
    api = demo.client(demo.as_user("sw-north"))
    assert api.get("/api/people", params={"q": "x" * 201}).status_code == 422
    assert api.get("/api/people", params={"q": "ash", "limit": 201}).status_code == 422
    assert api.get("/api/people").status_code == 422
