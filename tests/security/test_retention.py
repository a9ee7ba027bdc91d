"""Issue 11 item 2: records cannot be destroyed early with a forged date or asserted names.

The clock of every decision that can lead to destruction is the server's; identities are
authenticated, never asserted; the service token is refused on approve and execute; the
proposer cannot approve their own proposal. The attacker's exact sequence, on the API and the
CLI, destroys nothing and answers a clear refusal."""

from __future__ import annotations

import pytest

from tests.factories.served import PASSWORD
from tests.security.conftest import Demo

FUTURE = "2200-01-01"
FORGED = ("proposer", "approver-1", "approver-2")


def _destroyed(demo: Demo) -> tuple[int, int]:
    return (
        demo.count("SELECT count(*) FROM destruction_records"),
        demo.count("SELECT count(*) FROM destruction_certificates"),
    )


def _reviews(demo: Demo, proposal: int) -> int:
    return demo.count(
        "SELECT count(*) FROM disposal_reviews r JOIN disposal_items i ON i.id = r.item_id "
        "WHERE i.proposal_id = ?",
        proposal,
    )


@pytest.fixture(scope="module")
def documents(demo: Demo) -> int:
    return demo.count("SELECT count(*) FROM documents")


@pytest.fixture(scope="module")
def proposal(demo: Demo) -> int:
    """A genuine proposal, made by ig1 as of the server's today, for the approval attacks."""
    answer = demo.client(demo.as_user("ig1")).post("/api/retention/sweep")
    assert answer.status_code == 200, answer.text[:300]
    proposal_id = answer.json()["proposal_id"]
    assert proposal_id, answer.json()
    return int(proposal_id)


def test_the_attackers_api_sequence_destroys_nothing(demo: Demo, documents: int) -> None:
    def as_forged(name: str) -> dict[str, str]:
        return demo.service(**{"X-Escr-User": name})

    client = demo.client()
    sweep = client.post(
        "/api/retention/sweep", json={"today": FUTURE}, headers=as_forged("proposer")
    )
    assert sweep.status_code == 422, sweep.text[:300]
    assert "today" in sweep.text
    # The attacker carries on with the newest proposal, whoever made it.
    proposal_id = demo.count("SELECT coalesce(max(id), 1) FROM disposal_proposals")
    for approver in ("approver-1", "approver-2"):
        approve = client.post(
            f"/api/retention/proposals/{proposal_id}/approve",
            json={"justification": "routine"},
            headers=as_forged(approver),
        )
        assert approve.status_code in (403, 404), approve.text[:300]
    execute = client.post(
        f"/api/retention/proposals/{proposal_id}/execute",
        json={"today": FUTURE},
        headers=as_forged("proposer"),
    )
    assert 400 <= execute.status_code < 500, execute.text[:300]
    assert _destroyed(demo) == (0, 0)
    assert demo.count("SELECT count(*) FROM documents") == documents
    # The header named nobody: no audit event carries an asserted name.
    placeholders = ",".join("?" * len(FORGED))
    assert (
        demo.count(f"SELECT count(*) FROM audit_events WHERE actor IN ({placeholders})", *FORGED)
        == 0
    )


def test_an_ig_officer_cannot_sweep_or_execute_as_of_a_future_day(demo: Demo) -> None:
    ig1 = demo.client(demo.as_user("ig1"))
    for path in ("/api/retention/sweep", "/api/retention/evaluate"):
        answer = ig1.post(path, json={"today": FUTURE})
        assert answer.status_code == 422, (path, answer.text[:300])
    assert _destroyed(demo) == (0, 0)


def test_the_service_token_cannot_approve_or_execute(demo: Demo, proposal: int) -> None:
    service = demo.client(demo.service())
    approve = service.post(
        f"/api/retention/proposals/{proposal}/approve", json={"justification": "routine"}
    )
    assert approve.status_code == 403, approve.text[:300]
    execute = service.post(f"/api/retention/proposals/{proposal}/execute")
    assert execute.status_code == 403, execute.text[:300]
    assert _destroyed(demo) == (0, 0)


def test_the_proposer_cannot_approve_their_own_proposal(demo: Demo, proposal: int) -> None:
    answer = demo.client(demo.as_user("ig1")).post(
        f"/api/retention/proposals/{proposal}/approve", json={"justification": "mine"}
    )
    assert answer.status_code == 403, answer.text[:300]
    assert _reviews(demo, proposal) == 0


def test_a_forecast_writes_nothing_and_feeds_no_proposal(demo: Demo) -> None:
    before = demo.count("SELECT count(*) FROM disposal_proposals")
    decisions = demo.rows("SELECT document_id, status, retain_until FROM retention_decisions")
    answer = demo.client(demo.as_user("ig1")).get(
        "/api/retention/forecast", params={"as_of": FUTURE}
    )
    assert answer.status_code == 200, answer.text[:300]
    assert demo.count("SELECT count(*) FROM disposal_proposals") == before
    assert (
        demo.rows("SELECT document_id, status, retain_until FROM retention_decisions") == decisions
    )


def test_the_attackers_cli_sequence_destroys_nothing(demo: Demo, proposal: int) -> None:
    steps = [
        (["retention", "sweep", "--today", FUTURE, "--as", "proposer"], None),
        (
            ["retention", "approve", str(proposal), "--as", "approver-1", "--justification", "x"],
            None,
        ),
        (
            ["retention", "approve", str(proposal), "--as", "approver-2", "--justification", "x"],
            None,
        ),
        (["retention", "execute", str(proposal), "--today", FUTURE], None),
        (["retention", "execute", str(proposal)], None),
        # ig1 proposed: their password does not let them approve it, under their name or not.
        (
            [
                "retention",
                "approve",
                str(proposal),
                "--as",
                "ig1",
                "--password-stdin",
                "--justification",
                "x",
            ],
            PASSWORD + "\n",
        ),
        # A real IG user named without their password, or with a wrong one.
        (["retention", "approve", str(proposal), "--as", "ig2", "--justification", "x"], None),
        (
            [
                "retention",
                "approve",
                str(proposal),
                "--as",
                "ig2",
                "--password-stdin",
                "--justification",
                "x",
            ],
            "not the password\n",
        ),
    ]
    for args, stdin in steps:
        code, output = demo.escr(*args, stdin=stdin)
        assert code != 0, (args, output)
        assert "Traceback" not in output, output
    assert _reviews(demo, proposal) == 0
    assert _destroyed(demo) == (0, 0)
