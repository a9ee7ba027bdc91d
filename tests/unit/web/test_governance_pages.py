"""The governance pages through TestClient: navigation by role, a sweep, separation of duties
shown and enforced, execution with a certificate that verifies, holds with a preview and a
release into re-appraisal, and the audit log's filters and CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from catalog import access as rows
from catalog.models import AuditEvent, Document
from catalog.models_retention import DisposalReview, LegalHold
from core.clock import utcnow
from core.settings import Settings
from retention.schedule import load_schedule
from tests.unit.access.conftest import PASSWORD
from tests.unit.retention.conftest import AddDoc, add_doc, add_person, index, session, store
from tests.unit.web.conftest import log_in

__all__ = ["add_doc", "index", "session", "store"]
USERS = {
    "prac": ["practitioner"],
    "mig": ["migration_officer"],
    "ig-a": ["ig_officer"],
    "ig-b": ["ig_officer"],
    "ig-c": ["ig_officer"],
    "admin": ["administrator"],
}


@pytest.fixture
def client(settings: Settings, session: Session, add_doc: AddDoc) -> Iterator[TestClient]:
    """An adult's record due long ago, a child's record due long ago (two approvers), one
    not due, and the users."""
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01", given_name="x")
    add_doc(["A1"], text="adult visit record about the allotment")
    add_person(session, "C1950", service="children", date_of_birth=date(1950, 1, 1))
    add_doc(["C1950"], text="child visit record")
    add_person(session, "C2020", service="children", date_of_birth=date(2020, 1, 1))
    add_doc(["C2020"], text="recent visit record")
    for name, roles in USERS.items():
        rows.upsert_user(
            session, username=name, roles=roles, teams=["team-a"], password=PASSWORD, now=utcnow()
        )
    session.commit()
    with TestClient(create_app()) as test_client:
        yield test_client


def _nav(client: TestClient) -> list[str]:
    page = client.get("/search")
    nav = page.text.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">([^<]+)</a>", nav)


@pytest.mark.parametrize(
    ("user", "links"),
    [
        ("prac", ["Search", "Find a person"]),
        ("mig", ["Search", "Find a person", "Migration"]),
        ("ig-a", ["Search", "Find a person", "Governance"]),
        ("admin", ["Search", "Find a person", "Migration", "Governance"]),
    ],
)
def test_each_role_is_offered_only_pages_it_may_open(
    client: TestClient, user: str, links: list[str]
) -> None:
    log_in(client, user)
    assert _nav(client) == links
    targets = {
        "Search": "/search",
        "Find a person": "/people",
        "Migration": "/migration/exceptions",
        "Governance": "/ig",
    }
    for label, path in targets.items():
        answer = client.get(path)
        assert (answer.status_code == 200) == (label in links), (user, path, answer.status_code)
    if "Governance" in links:
        for path in (
            "/ig/retention",
            "/ig/holds",
            "/ig/audit",
            "/ig/alerts",
            "/ig/retention/schedule",
        ):
            assert client.get(path).status_code == 200, path


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def test_a_sweep_reviewed_by_others_executes_with_a_certificate_that_verifies(
    client: TestClient, session: Session
) -> None:
    csrf = log_in(client, "ig-a")
    swept = client.post("/ig/retention/sweep", data={"csrf": csrf})
    assert swept.status_code == 200 and "Disposal proposal 1" in swept.text
    assert "You proposed this disposal, so you cannot approve or reject it" in swept.text
    assert 'value="approve"' not in swept.text  # no button for the proposer
    # A forged review by the proposer is refused and audited, not stored.
    forged = client.post(
        "/ig/retention/proposals/1/review",
        data={"csrf": csrf, "decision": "approve", "justification": "mine", "items": [1, 2]},
    )
    assert forged.status_code == 403
    assert session.scalar(select(DisposalReview)) is None

    csrf = log_in(client, "ig-b")
    page = client.get("/ig/retention/proposals/1")
    assert 'value="approve"' in page.text and "allotment" not in page.text
    assert "0 of 2" in page.text and "0 of 1" in page.text  # the child's record needs two
    empty = client.post(
        "/ig/retention/proposals/1/review",
        data={"csrf": csrf, "decision": "approve", "justification": ""},
    )
    assert "tick the items" in empty.text  # the error stays on the page
    done = client.post(
        "/ig/retention/proposals/1/review",
        data={
            "csrf": csrf,
            "decision": "approve",
            "justification": "past its period",
            "items": [1, 2],
        },
    )
    assert "1 approved, 1 awaiting a second approver" in done.text
    assert "a second, different approver is needed" in done.text

    csrf = log_in(client, "ig-c")
    client.post(
        "/ig/retention/proposals/1/review",
        data={"csrf": csrf, "decision": "approve", "justification": "agreed", "items": [2]},
    )
    ran = client.post("/ig/retention/proposals/1/execute", data={"csrf": csrf})
    assert "Executed: 2 destroyed" in ran.text, ran.text
    cert = re.search(r'href="/ig/retention/certificates/([^"?]+)"', ran.text)
    assert cert is not None
    checked = client.get(f"/ig/retention/certificates/{cert.group(1)}?verify=true")
    assert "Verified." in checked.text
    download = client.get(f"/ig/retention/certificates/{cert.group(1)}.json")
    assert download.json()["body"]["certificate_id"] == cert.group(1)
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_hold_is_previewed_then_placed_then_released_into_reappraisal(
    client: TestClient, session: Session
) -> None:
    csrf = log_in(client, "ig-a")
    criteria = {
        "csrf": csrf,
        "name": "Allotment inquiry",
        "reason_type": "inquiry",
        "authority": "Inquiry notice 4",
        "query": "allotment",
    }
    preview = client.post("/ig/holds/new", data={**criteria, "step": "preview"})
    assert "This hold would catch 1 document now" in preview.text
    assert "Document 1" in preview.text and 'value="place"' in preview.text
    assert session.scalar(select(LegalHold)) is None  # a preview saves nothing
    missing = client.post("/ig/holds/new", data={**criteria, "authority": "", "step": "place"})
    assert missing.status_code == 422 and "needs a name, an authority" in missing.text
    assert 'value="Allotment inquiry"' in missing.text  # the form comes back filled
    placed = client.post("/ig/holds/new", data={**criteria, "step": "place"})
    assert "Hold 1 placed: it holds 1 documents now." in placed.text
    # The held record is not proposed by a sweep.
    swept = client.post("/ig/retention/sweep", data={"csrf": csrf})
    assert "1 more due but held" in swept.text
    released = client.post("/ig/holds/1/release", data={"csrf": csrf, "reason": "inquiry closed"})
    assert (
        "1 documents to re-appraise" in released.text
        and "Re-appraisal list: 1 document" in released.text
    )
    assert session.scalar(select(Document).where(Document.state == "destroyed")) is None


def test_the_audit_log_filters_names_targets_and_exports_csv(
    client: TestClient, session: Session
) -> None:
    log_in(client, "ig-b")
    assert client.get("/documents/1").status_code == 200
    log_in(client, "ig-a")
    page = client.get("/ig/audit", params={"actor": "ig-b", "action": "view"})
    assert "1 event" in page.text
    assert '<a href="/documents/1">Document 1 (document 1)</a>' in page.text
    assert "document:1" not in page.text
    assert (
        client.get(
            "/ig/audit", params={"date_from": "2030-01-02", "date_to": "2030-01-01"}
        ).status_code
        == 422
    )
    export = client.get("/ig/audit.csv", params={"actor": "ig-b"})
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert {line["actor"] for line in lines} == {"ig-b"} and lines
    assert any(line["target"] == "Document 1 (document 1)" for line in lines)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "export_audit_log"))


def test_a_cell_that_looks_like_a_formula_is_exported_as_text(
    client: TestClient, session: Session
) -> None:
    from catalog import audit

    audit.record(session, actor='=HYPERLINK("x")', action="login_failed", why="@SUM(1)")
    session.commit()
    log_in(client, "ig-a")
    export = client.get("/ig/audit.csv", params={"action": "login_failed"})
    line = next(csv.DictReader(io.StringIO(export.text)))
    assert line["actor"].startswith("'=") and line["why"] == "'@SUM(1)"


def test_break_glass_alerts_wait_in_an_inbox_until_reviewed(
    client: TestClient, session: Session
) -> None:
    from catalog import audit

    audit.record(
        session,
        actor="prac",
        action="break_glass",
        target_type="person",
        target_id="C2020",
        person_ids=["C2020"],
        why="welfare call out of hours",
    )
    session.commit()
    csrf = log_in(client, "ig-a")
    assert "<strong>1</strong> not yet reviewed" in client.get("/ig").text
    inbox = client.get("/ig/alerts")
    assert "welfare call out of hours" in inbox.text and "1 to review" in inbox.text
    event_id = re.search(r'id="alert-(\d+)"', inbox.text)
    assert event_id is not None
    empty = client.post(f"/ig/alerts/{event_id.group(1)}/review", data={"csrf": csrf, "note": " "})
    assert "needs a note" in empty.text
    done = client.post(
        f"/ig/alerts/{event_id.group(1)}/review",
        data={"csrf": csrf, "note": "checked with the team manager"},
    )
    assert "0 to review" in done.text and "Reviewed by ig-a" in done.text
    assert "<strong>0</strong> not yet reviewed" in client.get("/ig").text


def test_a_hold_without_criteria_says_so_in_words(client: TestClient) -> None:
    """The form showed "at least one of ('classes', 'person_ids', ...); unknown: []"."""
    csrf = log_in(client, "ig-a")
    form = {"csrf": csrf, "name": "No criteria", "reason_type": "inquiry", "authority": "A"}
    refused = client.post("/ig/holds/new", data={**form, "step": "preview"})
    assert refused.status_code == 422 and "at least one criterion: a record class" in refused.text
    assert "('classes'" not in refused.text and "unknown: []" not in refused.text
    assert 'value="No criteria"' in refused.text


def test_a_proposal_names_each_class_and_document(client: TestClient) -> None:
    """Items showed only a class code (adult_social_care), and the screen reader's name of
    each item's checkbox was its row number ("Item 1")."""
    csrf = log_in(client, "ig-a")
    client.post("/ig/retention/sweep", data={"csrf": csrf})
    log_in(client, "ig-b")
    page = client.get("/ig/retention/proposals/1").text
    cells = re.findall(r'data-label="Class">([^<]*)<code>([a-z_]+)</code>', page)
    titles = {name: rule.title for name, rule in load_schedule().rules.items()}
    assert cells and all(shown.strip() == titles[code] for shown, code in cells), cells
    boxes = re.findall(r'<label for="item-\d+" class="visually-hidden">([^<]+)</label>', page)
    assert boxes and all(b.startswith("Decide on ") and "Item" not in b for b in boxes), boxes


def test_an_audit_search_that_finds_nothing_says_what_to_try(client: TestClient) -> None:
    """'0 events' and 'Download these 0 events as CSV' was all the page said."""
    log_in(client, "ig-a")
    page = client.get("/ig/audit", params={"actor": "nobody-here"}).text
    assert "0 events" in page and "Download these 0 events" not in page
    assert "No event matches these filters" in page and 'href="/ig/audit">clear the filters' in page
    assert "No event matches" not in client.get("/ig/audit").text
