"""Issue 11 item 2 on the CLI: no `--today`, and `--as` is proven by a password on stdin; an
approval, a rejection or an execution names an active local IG user. Refusals are audited."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import access as rows
from catalog.models import AuditEvent, Document
from catalog.models_access import User
from catalog.models_retention import DisposalProposal, RetentionDecision
from cli.main import main
from tests.unit.retention.conftest import AddDoc, add_person

PASSWORDS = {"ig-a": "ig-a password 1", "ig-b": "ig-b password 2", "nurse": "nurse password 3"}
WHY = ["--justification", "past its period; checked against the file"]


@pytest.fixture
def users(session: Session) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    for name, role in (("ig-a", "ig_officer"), ("ig-b", "ig_officer"), ("nurse", "practitioner")):
        rows.upsert_user(
            session, username=name, roles=[role], teams=[], password=PASSWORDS[name], now=now
        )
    rows.upsert_user(
        session, username="gone", roles=["ig_officer"], teams=[], password="gone pw 12345", now=now
    )
    user = session.get(User, "gone")
    assert user is not None
    user.active = False
    session.commit()


def _run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    password: str = "",
) -> tuple[int, Any]:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
    code = main(list(args))
    out = capsys.readouterr()
    return code, json.loads(out.out) if code == 0 and out.out.strip() else out.err


def _count(session: Session, model: Any) -> int:
    session.rollback()  # a new read transaction sees the commands' commits
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _denied(session: Session) -> list[str]:
    session.rollback()  # a new read transaction sees the commands' commits
    query = select(AuditEvent).where(AuditEvent.action == "access_denied")
    return [str(e.detail["reason"]) for e in session.scalars(query.order_by(AuditEvent.id))]


def _destroyed(session: Session) -> int:
    session.rollback()  # a new read transaction sees the commands' commits
    query = select(func.count()).where(Document.state == "destroyed")
    return int(session.scalar(query) or 0)


def test_the_issue_sequence_on_the_cli_destroys_nothing(
    session: Session,
    add_doc: AddDoc,
    users: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for person_id, born in (("C2014", date(2014, 6, 1)), ("C2020", date(2020, 1, 1))):
        add_person(session, person_id, service="children", date_of_birth=born)
        add_doc([person_id])
    session.commit()
    for command in ("sweep", "evaluate"):
        with pytest.raises(SystemExit) as refused:  # argparse: the flag no longer exists
            main(["retention", command, "--today", "2200-01-01", "--as", "proposer"])
        assert refused.value.code == 2
    code, err = _run(monkeypatch, capsys, "retention", "sweep", "--as", "proposer")
    assert code == 2 and "--password-stdin" in err
    code, err = _run(
        monkeypatch, capsys, "retention", "sweep", "--as", "proposer", "--password-stdin"
    )
    assert code == 2 and "unknown user or wrong password" in err
    for approver in ("approver-1", "approver-2"):
        code, err = _run(
            monkeypatch,
            capsys,
            *("retention", "approve", "1", "--as", approver, "--password-stdin", *WHY),
            password="guess",
        )
        assert code == 2 and "unknown user or wrong password" in err
    code, err = _run(monkeypatch, capsys, "retention", "approve", "1", *WHY)
    assert code == 2 and "needs --as USER" in err
    with pytest.raises(SystemExit):
        main(["retention", "execute", "1", "--today", "2200-01-01", "--as", "proposer"])
    code, err = _run(monkeypatch, capsys, "retention", "execute", "1")
    assert code == 2 and "needs --as USER" in err
    assert len(_denied(session)) == 6  # every refusal, as cli:<login>
    assert _count(session, DisposalProposal) == 0 and _destroyed(session) == 0
    # Without a date to set, a sweep goes by the server's day: nothing is due before 2044.
    code, swept = _run(monkeypatch, capsys, "retention", "sweep")
    assert code == 0 and swept["proposal_id"] is None and swept["scheduled"] == 2
    code, report = _run(monkeypatch, capsys, "retention", "forecast", "--as-of", "2045-01-01")
    assert code == 0 and report["due"] == 1
    session.rollback()  # a new read transaction sees the commands' commits
    assert {d.status for d in session.scalars(select(RetentionDecision))} == {"scheduled"}
    assert _count(session, DisposalProposal) == 0


def test_reviews_need_a_proven_active_ig_user_other_than_the_proposer(
    session: Session,
    add_doc: AddDoc,
    users: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_person(session, "A1", service="adults", case_closure_date="2001-01-01")
    add_doc(["A1"])
    session.commit()
    proven = ("--password-stdin",)
    code, swept = _run(
        monkeypatch,
        capsys,
        *("retention", "sweep", "--as", "ig-a", *proven),
        password=PASSWORDS["ig-a"],
    )
    assert code == 0 and swept["proposed"] == 1
    proposal_id = str(swept["proposal_id"])
    assert session.get(DisposalProposal, int(proposal_id)).proposed_by == "ig-a"  # type: ignore[union-attr]
    approve = ("retention", "approve", proposal_id, *WHY, *proven)
    refusals = (
        ("ig-a", PASSWORDS["ig-a"], "proposer"),  # their own proposal
        ("ig-b", PASSWORDS["ig-a"], "wrong password"),  # another's name, the proposer's password
        ("nurse", PASSWORDS["nurse"], "not an active IG officer"),
        ("gone", "gone pw 12345", "not an active IG officer"),
    )
    for user, password, why in refusals:
        code, err = _run(monkeypatch, capsys, *approve, "--as", user, password=password)
        assert code == 2 and why in err, user
    assert len(_denied(session)) == 4  # each refusal, the proposer's own try included
    execute = ("retention", "execute", proposal_id, *proven)
    code, err = _run(monkeypatch, capsys, *execute, "--as", "ig-b", password="wrong")
    assert code == 2 and _destroyed(session) == 0
    code, done = _run(monkeypatch, capsys, *approve, "--as", "ig-b", password=PASSWORDS["ig-b"])
    assert code == 0 and done["approved"] == 1
    code, ran = _run(monkeypatch, capsys, *execute, "--as", "ig-b", password=PASSWORDS["ig-b"])
    assert code == 0 and ran["destroyed"] == 1 and _destroyed(session) == 1


def test_a_hold_is_released_by_a_named_person(
    session: Session,
    users: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add = ("hold", "add", "--name", "Inquiry", "--reason-type", "inquiry", "--authority", "r9")
    code, hold = _run(monkeypatch, capsys, *add, "--class", "child_in_need")
    assert code == 0
    release = ("hold", "release", str(hold["hold_id"]), "--reason", "inquiry closed")
    code, err = _run(monkeypatch, capsys, *release)
    assert code == 2 and "needs --as USER" in err
    code, done = _run(
        monkeypatch,
        capsys,
        *release,
        "--as",
        "ig-a",
        "--password-stdin",
        password=PASSWORDS["ig-a"],
    )
    assert code == 0 and done["hold_id"] == hold["hold_id"]
