"""Every bad parameter is a 4xx that says why, never a 500 or a crash (issue 11, item 1), and
the siblings of item 11 that live in the same routes: the success banner, break-glass input
and the production session cookie."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from cli.main import main
from core.errors import InvalidInput
from core.settings import get_settings
from indexer.base import MAX_RESULT_WINDOW, SearchQuery
from indexer.embedded import EmbeddedIndex
from tests.unit.access.conftest import ADMIN, PASSWORD, World

HUGE = "99999999999999999999"  # beyond 2**63: overflows the database driver
ROOT = Path(__file__).resolve().parents[3]


def _login(client: TestClient, username: str) -> str:
    """Log in through the form; the CSRF token of the page it lands on."""
    answer = client.post("/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found is not None
    return found.group(1)


def _web(world: World, username: str, role: str, teams: tuple[str, ...] = ()) -> str:
    world.add_user(username, role, list(teams))
    return _login(world.client, username)


def test_search_paging_stops_at_the_result_window(world: World) -> None:
    def search(**params: object) -> tuple[int, str]:
        answer = world.client.get("/api/search", params=params, headers=ADMIN)
        return answer.status_code, answer.text

    assert search(offset=MAX_RESULT_WINDOW - 20, limit=20)[0] == 200
    status, text = search(offset=MAX_RESULT_WINDOW)
    assert status == 422 and str(MAX_RESULT_WINDOW) in text
    assert search(offset=MAX_RESULT_WINDOW - 10, limit=20)[0] == 422
    # The request that made the embedded index allocate 48 GB and abort for everyone.
    assert search(offset=1_000_000_000)[0] == 422
    assert search(offset=HUGE)[0] == 422
    assert world.client.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/api/exceptions", "/api/batches"])
def test_console_lists_page_within_the_window(world: World, path: str) -> None:
    for offset in ("1e20", HUGE, str(MAX_RESULT_WINDOW)):
        answer = world.client.get(path, params={"offset": offset}, headers=ADMIN)
        assert answer.status_code == 422, (offset, answer.text)
    assert world.client.get(path, params={"limit": 501}, headers=ADMIN).status_code == 422
    first = world.client.get(path, params={"limit": 1}, headers=ADMIN)
    assert first.status_code == 200 and len(first.json()) == 1
    assert world.client.get(path, params={"offset": 50}, headers=ADMIN).json() == []


def test_exception_queue_paging_is_bounded(world: World) -> None:
    deep = world.client.get(
        "/api/exceptions", params={"offset": MAX_RESULT_WINDOW - 50, "limit": 100}, headers=ADMIN
    )
    assert deep.status_code == 422 and "filters" in deep.json()["detail"]
    assert world.client.get("/api/exceptions", headers=ADMIN).status_code == 200


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["0001-01-01", "1799-12-31", "2201-01-01", "9999-12-31"])
def test_search_dates_outside_1800_to_2200_are_refused(
    world: World, field: str, value: str
) -> None:
    answer = world.client.get("/api/search", params={field: value}, headers=ADMIN)
    assert answer.status_code == 422 and "1800-01-01" in answer.text


def test_search_dates_at_the_bounds_are_fine(world: World) -> None:
    answer = world.client.get(
        "/api/search", params={"date_from": "1800-01-01", "date_to": "2200-12-31"}, headers=ADMIN
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/documents/{id}", None),
        ("GET", "/api/documents/{id}/text", None),
        ("GET", "/api/documents/{id}/content", None),
        ("POST", "/api/documents/{id}/type", {"doc_type": "case_note"}),
        ("POST", "/api/exceptions/{id}/link", {"person_id": "MOS1"}),
        ("POST", "/api/exceptions/{id}/not-needed", {"note": "duplicate"}),
    ],
)
def test_api_ids_beyond_63_bits_are_refused(
    world: World, method: str, path: str, body: dict[str, str] | None
) -> None:
    answer = world.client.request(method, path.format(id=HUGE), json=body, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    in_range = world.client.request(method, path.format(id=2**63 - 1), json=body, headers=ADMIN)
    assert in_range.status_code == 404, in_range.text


def test_a_long_query_string_is_414(world: World) -> None:
    # The test client refuses URLs past 64 KiB; test_served_bounds.py sends a megabyte.
    api = world.client.get("/api/search?q=" + "a" * 60_000, headers=ADMIN)
    assert api.status_code == 414 and "query string" in api.json()["detail"]
    _web(world, "alice", "practitioner", ("team-a",))
    page = world.client.get("/search?q=" + "a" * 60_000)
    assert page.status_code == 414 and "text/html" in page.headers["content-type"]


def test_web_pages_answer_bad_parameters_with_a_readable_page(world: World) -> None:
    _web(world, "alice", "practitioner", ("team-a",))
    early = world.client.get("/search", params={"q": "visit", "date_from": "0001-01-01"})
    assert early.status_code == 422 and "From must be between 1800-01-01" in early.text
    for path in (f"/documents/{HUGE}", f"/documents/{HUGE}/content", "/search?q=a&page=100000"):
        answer = world.client.get(path)
        assert answer.status_code == 422, (path, answer.text)
        assert "text/html" in answer.headers["content-type"]
        assert "Please check the address" in answer.text


def test_migration_console_refuses_ids_beyond_63_bits(world: World) -> None:
    csrf = _web(world, "mig", "migration_officer")
    forms = {
        f"/migration/exceptions/{HUGE}/link": {"csrf": csrf, "other_person_id": "MOS1"},
        f"/migration/exceptions/{HUGE}/not-needed": {"csrf": csrf, "note": "duplicate"},
        f"/migration/documents/{HUGE}/type": {"csrf": csrf, "doc_type": "case_note"},
    }
    for path, form in forms.items():
        answer = world.client.post(path, data=form)
        assert answer.status_code == 422 and "text/html" in answer.headers["content-type"], path


def test_the_queue_banner_shows_only_what_the_server_said(world: World) -> None:
    csrf = _web(world, "mig", "migration_officer")
    forged = world.client.get(
        "/migration/exceptions", params={"done": "Call 0800 000 000 to verify your account"}
    )
    assert forged.status_code == 200 and "0800 000 000" not in forged.text
    found = re.search(r"/migration/exceptions/(\d+)/link", forged.text)
    assert found is not None
    done = world.client.post(
        f"/migration/exceptions/{found.group(1)}/link",
        data={"csrf": csrf, "person_id": "MOS1", "note": "names Ann"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/migration/exceptions"
    # The banner says what was done once; the recent decisions table (for undo) stays.
    banner = re.compile(r"Document \d+ linked to MOS1\.")
    assert banner.search(world.client.get("/migration/exceptions").text)
    assert not banner.search(world.client.get("/migration/exceptions").text)


def test_break_glass_refuses_zero_minutes_and_an_unbounded_reason(world: World) -> None:
    alice = world.issuer.headers("alice", ["practitioner"], ["team-a"])
    reason = "Out of hours: police call about Ben, duty social worker"
    for body in ({"reason": reason, "minutes": 0}, {"reason": "x" * 100_000, "minutes": 30}):
        answer = world.client.post("/api/people/MOS2/break-glass", json=body, headers=alice)
        assert answer.status_code == 422, answer.text
    assert world.client.get("/api/people/MOS2/documents", headers=alice).status_code != 200

    csrf = _web(world, "alice", "practitioner", ("team-a",))
    form = {"csrf": csrf, "reason": "x" * 100_000, "minutes": "30"}
    page = world.client.post("/people/MOS2/break-glass", data=form, follow_redirects=False)
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]


def test_production_always_sends_the_session_cookie_secure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_user("alice", "practitioner", ["team-a"])
    monkeypatch.setenv("ESCR_API__ENVIRONMENT", "production")
    monkeypatch.setenv("ESCR_API__TOKEN", "a-real-secret-for-this-test")
    monkeypatch.delenv("ESCR_AUTH__COOKIE_SECURE", raising=False)
    get_settings.cache_clear()
    answer = world.client.post(
        "/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()
    get_settings.cache_clear()


def test_the_compose_api_service_runs_in_production() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["api"]["environment"]["ESCR_API__ENVIRONMENT"] == "production"


def test_the_embedded_index_itself_refuses_deep_pages_and_far_dates(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    for query in (
        SearchQuery(offset=MAX_RESULT_WINDOW),
        SearchQuery(offset=1_000_000_000),
        SearchQuery(limit=MAX_RESULT_WINDOW + 1),
        SearchQuery(date_from=date(1, 1, 1)),
        SearchQuery(date_to=date(9999, 12, 31)),
    ):
        with pytest.raises(InvalidInput):
            index.search(query)
    assert index.search(SearchQuery(offset=MAX_RESULT_WINDOW - 20)).total == 0


def test_cli_search_limit_is_bounded(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["search", "visit", "--limit", str(MAX_RESULT_WINDOW + 1)])
    assert refused.value.code == 2
    assert f"between 1 and {MAX_RESULT_WINDOW}" in capsys.readouterr().err
    assert main(["search", "visit", "--limit", "5", "--json"]) == 0
    with pytest.raises(SystemExit) as huge_id:
        main(["show", HUGE])
    assert huge_id.value.code == 2 and "between 1 and" in capsys.readouterr().err
