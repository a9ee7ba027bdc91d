"""Issue 11 items 8 and 9: the audit log as the truth. Refused reads are in it; a database
writer who deletes events and rehashes the chain is caught by `escr audit verify`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.db import session_factory
from catalog.models import AuditEvent
from tests.factories.served import clean_env, escr
from tests.security.conftest import ADULTS, Demo
from tests.unit.retention.test_audit_anchor import _rewrite_without


@pytest.mark.parametrize(
    "path",
    [
        "/api/retention/proposals",
        "/api/retention/drift",
        "/api/holds",
        "/api/audit/verify",
        "/api/audit/people/LCS000000",
    ],
)
def test_a_practitioners_refused_governance_reads_are_audited(demo: Demo, path: str) -> None:
    def refusals() -> int:
        return demo.count(
            "SELECT count(*) FROM audit_events "
            "WHERE actor = 'sw-adults' AND action = 'access_denied'"
        )

    before = refusals()
    answer = demo.client(demo.as_user("sw-adults")).get(path)
    assert answer.status_code == 403, (path, answer.status_code)
    assert refusals() == before + 1


def test_deleting_events_and_rehashing_the_chain_is_caught(demo: Demo, tmp_path: Path) -> None:
    snooped = demo.team_people(ADULTS)[0]
    answer = demo.client(demo.as_user("sw-north")).get(f"/api/people/{snooped}/documents")
    assert answer.status_code == 404
    # The demo's chain holds, and verifying it anchors its head outside the catalog.
    code, output = demo.escr("audit", "verify")
    assert code == 0, output
    # The attacker works on a copy of what the database's writer can reach (and the anchors,
    # which they cannot rewrite, as they are).
    home = tmp_path / "var"
    shutil.copytree(demo.home, home, ignore=shutil.ignore_patterns("blobs", "index", "tmp"))
    env = clean_env(home)
    assert escr(env, "audit", "verify", check=False).returncode == 0
    # Cover up what sw-north was refused: delete those events, rehash the rest and the head.
    with session_factory(f"sqlite:///{home / 'catalog.sqlite'}")() as session:
        ids = list(session.scalars(select(AuditEvent.id).where(AuditEvent.actor == "sw-north")))
        assert ids, "sw-north's refused read should be in the log"
        _rewrite_without(session, ids)
    done = escr(env, "audit", "verify", check=False)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
