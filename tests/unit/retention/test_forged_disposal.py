"""Issue 11 item 2 on the API: nobody can make records due early or approve under a name they
did not authenticate as. The day is the server's; the static token is one service account that
may sweep but never review or execute; a refusal is an audit event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from catalog.models import AuditEvent, Document
from catalog.models_retention import DisposalProposal, RetentionDecision
from core.errors import PolicyViolation
from core.settings import Settings, get_settings
from indexer.embedded import EmbeddedIndex
from retention import disposal
from retention.destroy import execute
from retention.evaluate import Evaluator
from retention.periods import server_today
from storage.local import LocalBlobStore
from tests.unit.access.conftest import AUDIENCE, ISSUER, Issuer, write_jwks
from tests.unit.retention.conftest import AddDoc, add_person

SERVICE = {"Authorization": "Bearer dev-token"}
WHY = {"justification": "past its period; checked against the file"}
FUTURE = {"today": "2200-01-01"}
# Children's records of people born 2014-2020: child_in_need keeps them to the 30th birthday.
CHILDREN = {"C2014": date(2014, 6, 1), "C2017": date(2017, 3, 1), "C2020": date(2020, 1, 1)}


@dataclass
class Api:
    client: TestClient
    issuer: Issuer
    session: Session

    def ig(self, username: str, **extra: str) -> dict[str, str]:
        return {**self.issuer.headers(username, ["ig_officer"]), **extra}

    def post(self, path: str, headers: dict[str, str], body: Any = None) -> Any:
        return self.client.post(f"/api/retention{path}", json=body, headers=headers)

    def events(self, action: str) -> list[AuditEvent]:
        self.session.rollback()  # a new read transaction sees the commands' commits
        return list(self.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))

    def count(self, model: Any) -> int:
        self.session.rollback()  # a new read transaction sees the commands' commits
        return int(self.session.scalar(select(func.count()).select_from(model)) or 0)

    def destroyed(self) -> int:
        self.session.rollback()  # a new read transaction sees the commands' commits
        query = select(func.count()).where(Document.state == "destroyed")
        return int(self.session.scalar(query) or 0)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def api(
    settings: Settings,
    session: Session,
    add_doc: AddDoc,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: rsa.RSAPrivateKey,
) -> Iterator[Api]:
    """Children's records due 2044-2050, an OIDC issuer, and the app."""
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, key)
    monkeypatch.setenv("ESCR_AUTH__ISSUER", ISSUER)
    monkeypatch.setenv("ESCR_AUTH__AUDIENCE", AUDIENCE)
    monkeypatch.setenv("ESCR_AUTH__JWKS_PATH", str(jwks))
    get_settings.cache_clear()
    for person_id, born in CHILDREN.items():
        add_person(session, person_id, service="children", date_of_birth=born)
        add_doc([person_id])
    session.commit()
    with TestClient(create_app()) as client:
        yield Api(client, Issuer(key), session)


def _due_now(session: Session, add_doc: AddDoc) -> None:
    """An adult's record and a child's record that are due by today's real date."""
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01")
    add_doc(["A1"])
    add_person(session, "C1950", service="children", date_of_birth=date(1950, 1, 1))
    add_doc(["C1950"])
    session.commit()


def test_the_issue_sequence_with_the_static_token_destroys_nothing(api: Api) -> None:
    header = {**SERVICE, "X-Escr-User": "proposer"}
    swept = api.post("/sweep", header, FUTURE)
    assert swept.status_code == 422 and "today" in swept.text
    for approver in ("approver-1", "approver-2"):
        answer = api.post("/proposals/1/approve", {**SERVICE, "X-Escr-User": approver}, WHY)
        assert answer.status_code == 403
        assert "not a service account" in answer.json()["detail"]
    ran = api.post("/proposals/1/execute", header, FUTURE)
    assert ran.status_code == 403  # the service account is refused before the body is read
    assert api.post("/proposals/1/execute", header, {}).status_code == 403
    assert api.count(DisposalProposal) == 0 and api.destroyed() == 0
    # The refusals are audited under the identity that authenticated, never the header's.
    denied = api.events("access_denied")
    assert len(denied) == 4 and {e.actor for e in denied} == {"api:token"}
    assert "POST /api/retention/proposals/1/approve" in {e.target_id for e in denied}


def test_a_today_field_is_refused_everywhere_not_ignored(api: Api) -> None:
    officer = api.ig("ig-a")
    for path in ("/sweep", "/evaluate", "/proposals/1/execute"):
        answer = api.post(path, officer, FUTURE)
        assert answer.status_code == 422, path
        assert answer.json()["detail"][0]["loc"] == ["body", "today"]
    assert api.count(DisposalProposal) == 0 and api.count(RetentionDecision) == 0


def test_an_ig_officer_sweeping_today_proposes_nothing_due_in_2044(api: Api) -> None:
    swept = api.post("/sweep", api.ig("ig-a"), {})
    assert swept.status_code == 200
    assert swept.json()["proposal_id"] is None and swept.json()["scheduled"] == 3
    assert api.post("/sweep", api.ig("ig-a")).json()["proposal_id"] is None  # no body at all
    until = {d.retain_until for d in api.session.scalars(select(RetentionDecision))}
    assert until == {date(2044, 6, 1), date(2047, 3, 1), date(2050, 1, 1)}
    assert api.destroyed() == 0


def test_the_forecast_reports_a_future_day_and_writes_nothing_but_its_audit(api: Api) -> None:
    assert api.post("/sweep", api.ig("ig-a"), {}).status_code == 200
    before = [(d.document_id, d.status) for d in api.session.scalars(select(RetentionDecision))]
    found = api.client.get(
        "/api/retention/forecast", params={"as_of": "2048-01-01"}, headers=api.ig("ig-a")
    )
    assert found.status_code == 200
    assert found.json()["due"] == 2 and found.json()["due_not_held"] == 2
    api.session.rollback()  # a new read transaction sees the commands' commits
    after = [(d.document_id, d.status) for d in api.session.scalars(select(RetentionDecision))]
    assert after == before and {s for _, s in after} == {"scheduled"}
    assert api.count(DisposalProposal) == 0
    assert [e.actor for e in api.events("retention_forecast")] == ["ig-a"]
    # A later sweep still goes by the server's day: the forecast fed nothing.
    assert api.post("/sweep", api.ig("ig-b"), {}).json()["proposal_id"] is None
    bad = api.client.get(
        "/api/retention/forecast", params={"as_of": "0001-01-01"}, headers=api.ig("ig-a")
    )
    assert bad.status_code == 422


def test_reviews_compare_authenticated_identities(
    api: Api, session: Session, add_doc: AddDoc
) -> None:
    _due_now(session, add_doc)
    swept = api.post("/sweep", api.ig("ig-a", **{"X-Escr-User": "someone-else"}), {})
    proposal_id = swept.json()["proposal_id"]
    assert swept.json()["proposed"] == 2
    assert api.session.get(DisposalProposal, proposal_id).proposed_by == "ig-a"  # type: ignore[union-attr]
    path = f"/proposals/{proposal_id}"
    # The proposer cannot approve under another name: the header names nobody.
    own = api.post(f"{path}/approve", api.ig("ig-a", **{"X-Escr-User": "approver-1"}), WHY)
    assert own.status_code == 403 and "proposer" in own.json()["detail"]
    assert [(e.actor, e.target_id) for e in api.events("access_denied")] == [
        ("ig-a", str(proposal_id))
    ]
    assert api.post(f"{path}/approve", SERVICE, WHY).status_code == 403
    assert api.post(f"{path}/reject", SERVICE, WHY).status_code == 403
    first = api.post(f"{path}/approve", api.ig("ig-b"), WHY).json()
    assert first == {"approved": 1, "awaiting_second": 1, "rejected": 0}
    assert api.post(f"{path}/approve", api.ig("ig-b"), WHY).status_code == 409
    assert api.post(f"{path}/approve", api.ig("ig-c"), WHY).json()["approved"] == 2
    assert api.post(f"{path}/execute", SERVICE, {}).status_code == 403
    assert api.destroyed() == 0
    ran = api.post(f"{path}/execute", api.ig("ig-c"), {})
    assert ran.status_code == 200 and ran.json()["destroyed"] == 2


def test_governance_refusals_and_ig_reads_are_audited(
    api: Api, session: Session, add_doc: AddDoc
) -> None:
    nurse = api.issuer.headers("nurse", ["practitioner"], ["team-a"])
    for path in ("/api/retention/proposals", "/api/holds", "/api/audit/verify"):
        assert api.client.get(path, headers=nurse).status_code == 403
    denied = api.events("access_denied")
    assert [(e.actor, e.target_id) for e in denied] == [
        ("nurse", "GET /api/retention/proposals"),
        ("nurse", "GET /api/holds"),
        ("nurse", "GET /api/audit/verify"),
    ]
    _due_now(session, add_doc)
    proposal_id = api.post("/sweep", api.ig("ig-a"), {}).json()["proposal_id"]
    path = f"/proposals/{proposal_id}"
    assert api.post(f"{path}/approve", api.ig("ig-b"), WHY).status_code == 200
    assert api.post(f"{path}/approve", api.ig("ig-c"), WHY).status_code == 200
    cert_id = api.post(f"{path}/execute", api.ig("ig-b"), {}).json()["certificate_id"]
    officer = api.ig("ig-d")
    assert api.client.get("/api/retention/proposals", headers=officer).status_code == 200
    assert api.client.get(f"/api/retention{path}", headers=officer).status_code == 200
    cert = api.client.get(f"/api/retention/certificates/{cert_id}", headers=officer)
    assert cert.status_code == 200
    for action, target in (
        ("disposal_list", ""),
        ("disposal_view", str(proposal_id)),
        ("certificate_view", cert_id),
    ):
        assert [(e.actor, e.target_id) for e in api.events(action)] == [("ig-d", target)]
    huge = api.client.get("/api/retention/proposals/99999999999999999999", headers=officer)
    assert huge.status_code == 422


def test_the_library_refuses_a_future_day(
    session: Session,
    settings: Settings,
    evaluator: Evaluator,
    store: LocalBlobStore,
    index: EmbeddedIndex,
) -> None:
    tomorrow = server_today() + timedelta(days=1)
    with pytest.raises(PolicyViolation):
        disposal.sweep(session, evaluator, actor="ig-a", today=tomorrow)
    with pytest.raises(PolicyViolation):
        execute(
            session,
            1,
            actor="ig-a",
            evaluator=evaluator,
            store=store,
            index=index,
            home=settings.home,
            today=tomorrow,
        )


def test_only_a_named_person_releases_a_hold(api: Api) -> None:
    body = {"name": "Inquiry", "reason_type": "inquiry", "authority": "rule 9", "classes": ["x"]}
    hold_id = api.client.post("/api/holds", json=body, headers=SERVICE).json()["hold_id"]
    release = f"/api/holds/{hold_id}/release"
    refused = api.client.post(release, json={"reason": "settled"}, headers=SERVICE)
    assert refused.status_code == 403 and "not a service account" in refused.json()["detail"]
    assert [e.actor for e in api.events("access_denied")] == ["api:token"]
    done = api.client.post(release, json={"reason": "settled"}, headers=api.ig("ig-a"))
    assert done.status_code == 200
