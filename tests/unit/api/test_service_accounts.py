"""Service accounts at the API's door (docs/decisions/0037-cms-identity.md): scopes, the
practitioner named in X-On-Behalf-Of and their access exactly, rotation without downtime,
revocation, IdP client-credentials tokens, and the refusals, each audited."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from catalog import access as rows
from catalog import service_accounts as accounts
from catalog.db import make_engine
from catalog.models import AuditEvent
from catalog.models_service import ServiceKey
from core.clock import utcnow
from core.errors import InvalidInput
from tests.cms_harness.client import CmsClient
from tests.cms_harness.documents import letter_pdf
from tests.unit.access.conftest import ADMIN, World

READ_WRITE = ["documents:read", "documents:write"]


def _account(world: World, name: str, scopes: list[str], client_id: str | None = None) -> str:
    with world.session() as session:
        _, issued = accounts.create_account(
            session, name=name, scopes=scopes, oidc_client_id=client_id, actor="t", now=utcnow()
        )
        session.commit()
    return issued.token if issued is not None else ""


def _denials(world: World, actor: str) -> list[AuditEvent]:
    with world.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.actor == actor, AuditEvent.action == "access_denied"
                )
            )
        )


def test_reads_on_behalf_of_a_practitioner_get_exactly_their_access(world: World) -> None:
    world.add_user("jsmith", "practitioner", ["team-a"])  # Ann MOS1, Cara MOS3
    world.add_user("bbrown", "practitioner", ["team-b"])  # Ben MOS2
    token = _account(world, "mosaic", READ_WRITE)
    as_jsmith = CmsClient(world.client, token, "jsmith")
    as_bbrown = as_jsmith.as_user("bbrown")
    ann_visit = world.ids["D1"]
    assert as_jsmith.get(f"/api/documents/{ann_visit}").status_code == 200
    # Ben's practitioner may not see Ann's record, through the CMS as on the web.
    assert as_bbrown.get(f"/api/documents/{ann_visit}").status_code == 404
    assert as_bbrown.get("/api/people/MOS1/documents").status_code == 404
    refused = as_bbrown.upload_response("MOS1", letter_pdf("x"), "a.pdf")
    assert refused.status_code == 404
    # The adoption report needs a grant jsmith does not hold: hidden from the list too.
    listed = as_jsmith.documents_of("MOS1")["documents"]
    assert world.ids["D4"] not in [d["document_id"] for d in listed]
    assert as_jsmith.search("grandmother", "MOS2") == []
    hidden = [e for e in _denials(world, "svc:mosaic") if e.on_behalf_of == "bbrown"]
    assert {e.target_id for e in hidden} >= {str(ann_visit), "MOS1"}


def test_a_service_account_needs_its_scope_and_a_named_user(world: World) -> None:
    world.add_user("jsmith", "practitioner", ["team-a"])
    reader = CmsClient(world.client, _account(world, "reader", ["documents:read"]), "jsmith")
    assert reader.get(f"/api/documents/{world.ids['D1']}").status_code == 200
    upload = reader.upload_response("MOS1", letter_pdf("x"), "a.pdf")
    assert upload.status_code == 403 and "documents:write" in upload.json()["detail"]
    anonymous = CmsClient(world.client, reader.headers["Authorization"].split()[1])
    assert anonymous.get(f"/api/documents/{world.ids['D1']}").status_code == 403
    nobody = reader.as_user("no-such-user")
    assert nobody.get(f"/api/documents/{world.ids['D1']}").status_code == 403
    # Routes that name no scope (governance, the queue, administration) refuse it outright.
    for path in ("/api/batches", "/api/exceptions", "/api/audit/verify"):
        assert reader.get(path).status_code == 403, path
    reasons = [e.detail["reason"] for e in _denials(world, "svc:reader")]
    assert any("lacks the scope documents:write" in r for r in reasons)
    assert any("X-On-Behalf-Of" in r for r in reasons)
    assert any("not open to service accounts" in r for r in reasons)


def test_a_person_may_not_name_someone_else(world: World) -> None:
    answer = world.client.get(
        f"/api/documents/{world.ids['D1']}", headers={**ADMIN, "X-On-Behalf-Of": "jsmith"}
    )
    assert answer.status_code == 400
    # The development token stays what it was: an administrator for scripts, named api:token.
    assert world.client.get(f"/api/documents/{world.ids['D1']}", headers=ADMIN).status_code == 200


def test_rotation_keeps_both_keys_live_until_the_old_one_is_revoked(world: World) -> None:
    world.add_user("jsmith", "practitioner", ["team-a"])
    old = _account(world, "mosaic", READ_WRITE)
    path = f"/api/documents/{world.ids['D1']}"
    with world.session() as session:
        new = accounts.rotate(session, "mosaic", now=utcnow(), grace=timedelta(hours=1)).token
        session.commit()
    for token in (old, new):
        assert CmsClient(world.client, token, "jsmith").get(path).status_code == 200
    old_id = old.split("_")[1]
    with world.session() as session:
        accounts.revoke_key(session, old_id, now=utcnow())
        session.commit()
    assert CmsClient(world.client, old, "jsmith").get(path).status_code == 401
    assert CmsClient(world.client, new, "jsmith").get(path).status_code == 200
    # A rotation's grace ends by itself too.
    with world.session() as session:
        newer = accounts.rotate(session, "mosaic", now=utcnow(), grace=timedelta(0)).token
        session.commit()
    assert CmsClient(world.client, new, "jsmith").get(path).status_code == 401
    assert CmsClient(world.client, newer, "jsmith").get(path).status_code == 200
    with world.session() as session:
        accounts.set_active(session, "mosaic", False)
        session.commit()
    assert CmsClient(world.client, newer, "jsmith").get(path).status_code == 401


def test_keys_are_stored_hashed_and_a_forged_one_fails(world: World) -> None:
    token = _account(world, "mosaic", READ_WRITE)
    with world.session() as session:
        stored = session.scalars(select(ServiceKey)).one()
        assert token.split("_", 2)[2] not in stored.secret_sha256
    key_id = token.split("_")[1]
    forged = f"escr_{key_id}_{'A' * 43}"
    for bad in (forged, "escr_nonsense", token[:-1] + ("B" if token[-1] != "B" else "C")):
        answer = world.client.get("/api/search", headers={"Authorization": f"Bearer {bad}"})
        assert answer.status_code == 401, bad


def test_an_idp_client_credentials_token_acts_as_its_mapped_account(world: World) -> None:
    world.add_user("jsmith", "practitioner", ["team-a"])
    _account(world, "liquidlogic", ["documents:read"], client_id="ll-client-6f1c")
    # A client-credentials token: no user, the client in azp (Entra v2).
    token = world.issuer.token("", [], [], azp="ll-client-6f1c", sub="ll-principal")
    ll = CmsClient(world.client, token, "jsmith")
    assert ll.get(f"/api/documents/{world.ids['D1']}").status_code == 200
    assert ll.get(f"/api/documents/{world.ids['D2']}").status_code == 404  # Ben: team B
    assert ll.upload_response("MOS1", letter_pdf("x"), "a.pdf").status_code == 403
    with world.session() as session:
        read = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "view", AuditEvent.target_id == str(world.ids["D1"])
            )
        ).all()
        assert [(e.actor, e.on_behalf_of) for e in read] == [("svc:liquidlogic", "jsmith")]
    # Another client's token is a person's token as before (its own roles, no account).
    other = world.issuer.token("asmith", ["practitioner"], ["team-a"], azp="web-app")
    answer = world.client.get(
        f"/api/documents/{world.ids['D1']}", headers={"Authorization": f"Bearer {other}"}
    )
    assert answer.status_code == 200


def test_a_person_named_like_a_system_is_neither_the_system_nor_let_in(world: World) -> None:
    """A name is not an identity: a person whose IdP username reads `svc:mosaic` (or `cli:`,
    `api:`) was taken for the service account by the person-event and webhook routes (a
    practitioner merged two people, 200) and stood for it in the audit log."""
    _account(world, "mosaic", ["people:events", "webhooks:manage"])
    merge = {"from": "MOS1", "into": "MOS3", "reason": "the same child recorded twice"}
    for name in ("svc:mosaic", "cli:root", "api:token"):
        headers = world.issuer.headers(name, ["practitioner"], ["team-a"])
        assert (
            world.client.post("/api/people/merge", headers=headers, json=merge).status_code == 401
        )
        hooks = world.client.get("/api/webhooks/subscriptions", headers=headers)
        assert hooks.status_code == 401
    with world.session() as session:
        actors = set(session.scalars(select(AuditEvent.actor)))
        with pytest.raises(InvalidInput):
            rows.upsert_user(
                session,
                username="svc:mosaic",
                roles=["practitioner"],
                teams=[],
                password=None,
                now=utcnow(),
            )
    assert not {"svc:mosaic", "cli:root", "api:token"} & actors


def test_a_system_acts_only_with_a_practitioners_access_whoever_it_names(world: World) -> None:
    """A CMS names the practitioner using it. Naming an administrator, an IG or migration
    officer gave a read-only key every person, every restricted class and the queue's
    unlinked documents: the all-seeing account decision 0037 refused. Now a user with no
    case-work role is refused (403, audited); one who also has one acts with that role only."""
    world.add_user("boss", "administrator", [])
    world.add_user("ig", "ig_officer", [])
    world.add_user("mig", "migration_officer", [])
    reader = CmsClient(world.client, _account(world, "mosaic", ["documents:read"]), "boss")
    adoption, team_b = world.ids["D4"], world.ids["D2"]
    for name in ("boss", "ig", "mig"):
        for document in (adoption, team_b):
            answer = reader.as_user(name).get(f"/api/documents/{document}")
            assert answer.status_code == 403, (name, document)
    reasons = [e.detail["reason"] for e in _denials(world, "svc:mosaic")]
    assert any("no practitioner" in r for r in reasons)
    # An administrator who is also a team-A practitioner: team A's records, no grant.
    with world.session() as session:
        rows.upsert_user(
            session,
            username="lead",
            roles=["administrator", "practitioner"],
            teams=["team-a"],
            password=None,
            now=utcnow(),
        )
        session.commit()
    lead = reader.as_user("lead")
    assert lead.get(f"/api/documents/{world.ids['D1']}").status_code == 200
    assert lead.get(f"/api/documents/{adoption}").status_code == 404
    assert lead.get(f"/api/documents/{team_b}").status_code == 404


def test_a_keys_first_call_meets_another_writer_and_is_answered(world: World) -> None:
    """A key's call writes its `last_used_at` after reading the key. On SQLite, with the
    upload runner committing meanwhile (another CMS's burst of uploads), that write met a
    stale read: "database is locked" at once, a 500 to the CMS. Now a key's request begins as
    a writer, as its scoped route would anyway."""
    world.add_user("jsmith", "practitioner", ["team-a"])
    token = _account(world, "mosaic", ["documents:read"])
    engine = make_engine(world.settings.database_url)
    fired: list[str] = []

    def another_writer_commits(*args: object) -> None:
        statement = str(args[2])
        if fired or "FROM service_keys" not in statement:
            return
        other = sqlite3.connect(world.settings.home / "catalog.sqlite", timeout=0.2)
        try:
            other.execute("UPDATE service_accounts SET description = 'touched'")
            other.commit()
            fired.append("committed")  # the request read first: its write would be stale
        except sqlite3.OperationalError:
            fired.append("waited")  # the request holds the write lock already
        finally:
            other.close()

    event.listen(engine, "after_cursor_execute", another_writer_commits)
    try:
        answer = CmsClient(world.client, token, "jsmith").get(f"/api/documents/{world.ids['D1']}")
    finally:
        event.remove(engine, "after_cursor_execute", another_writer_commits)
    assert fired == ["waited"] and answer.status_code == 200


def test_a_key_that_may_only_upload_reads_the_status_of_its_own_uploads_only(
    world: World,
) -> None:
    """The status route is open to `documents:write` so a CMS can follow what it sent; it
    answered any document's type, state and people, so an upload-only key read the metadata
    of every record its practitioner could see. Now such a key sees its own uploads' status."""
    world.add_user("jsmith", "practitioner", ["team-a"])
    writer = CmsClient(world.client, _account(world, "uploader", ["documents:write"]), "jsmith")
    sent = writer.upload("MOS1", letter_pdf("a letter"), "letter.pdf")
    assert writer.get(f"/api/documents/{sent.id}/status").status_code == 200
    migrated = f"/api/documents/{world.ids['D1']}/status"
    assert writer.get(migrated).status_code == 404
    other = CmsClient(world.client, _account(world, "other", ["documents:write"]), "jsmith")
    assert other.get(f"/api/documents/{sent.id}/status").status_code == 404
    reader = CmsClient(world.client, _account(world, "reader", READ_WRITE), "jsmith")
    assert reader.get(migrated).status_code == 200
    assert reader.get(f"/api/documents/{sent.id}/status").status_code == 200


def test_a_users_token_from_the_cms_app_is_the_users_not_the_systems(world: World) -> None:
    """A practitioner signed in to the CMS's own app gets a delegated token whose client (azp)
    is the one mapped to the CMS's account. It was taken for the account: its holder could
    name any colleague in X-On-Behalf-Of and read as them. A delegated token (its `scp`
    claim, as Entra ID and Okta write one) is now its user's, as any person's token."""
    world.add_user("jsmith", "practitioner", ["team-a"])
    world.add_user("bbrown", "practitioner", ["team-b"])
    _account(world, "liquidlogic", ["documents:read"], client_id="ll-client-6f1c")
    token = world.issuer.token(
        "jsmith", ["practitioner"], ["team-a"], azp="ll-client-6f1c", scp="access_as_user"
    )
    as_bbrown = CmsClient(world.client, token, "bbrown")
    assert as_bbrown.get(f"/api/documents/{world.ids['D2']}").status_code == 400
    own = CmsClient(world.client, token)
    assert own.get(f"/api/documents/{world.ids['D1']}").status_code == 200
    assert own.get(f"/api/documents/{world.ids['D2']}").status_code == 404
