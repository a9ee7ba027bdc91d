"""The CMS harness (tests/cms_harness) as Mosaic's service account: it subscribes, merges two
people on behalf of a practitioner, hears of every re-linked document on its own port, and a
practitioner follows an old link and a deep link to the viewer."""

from __future__ import annotations

from sqlalchemy import select

from catalog import service_accounts as accounts
from catalog.models import AuditEvent
from core.clock import utcnow
from tests.cms_harness.client import CmsClient
from tests.cms_harness.events import follow, merge, receiving, subscribe
from tests.unit.access.conftest import World
from tests.unit.api.cms_world import LETTERS, cms_world, old_link
from tests.unit.web.conftest import log_in

__all__ = ["cms_world"]
SECRET = "mosaic-webhook-secret-0123456789abcdef"


def _account(world: World, name: str, scopes: list[str]) -> str:
    with world.session() as session:
        _, issued = accounts.create_account(
            session, name=name, scopes=scopes, actor="t", now=utcnow()
        )
        session.commit()
    assert issued is not None
    return issued.token


def test_mosaic_merges_two_people_and_hears_of_each_document_signed(cms_world: World) -> None:
    world = cms_world
    world.add_user("jsmith", "practitioner", ["team-a"])
    token = _account(world, "mosaic", ["people:events", "webhooks:manage", "documents:read"])
    mosaic = CmsClient(world.client, token, on_behalf_of="jsmith")
    with receiving(SECRET, fail_first=1) as receiver:
        subscribe(mosaic, receiver.url, SECRET, ["document.relinked"])
        done = merge(mosaic, "MOS2", "MOS1", "Duplicate records merged in Mosaic by jsmith")
        events = receiver.wait_for(len(done["documents"]))
    assert len(done["documents"]) == LETTERS + 1  # Ben's letters and his care plan
    assert {e["data"]["document_id"] for e in events} == set(done["documents"])
    assert {tuple(e["data"]["person_ids"]) for e in events} == {("MOS1",)}
    assert receiver.refused == []
    with world.session() as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "person_merge")
        ).one()
        assert (audited.actor, audited.on_behalf_of) == ("svc:mosaic", "jsmith")
    # jsmith's team has Ann (MOS1): Ben's care plan, now Ann's, opens from its old link.
    log_in(world.client, "jsmith")
    moved = follow(world.client, "/legacy", url=old_link("D2"))
    assert moved.status_code == 308
    deep = follow(world.client, moved.headers["location"])
    assert deep.status_code == 303
    assert follow(world.client, deep.headers["location"]).status_code == 200


def test_a_system_without_the_scope_is_refused(cms_world: World) -> None:
    world = cms_world
    world.add_user("jsmith", "practitioner", ["team-a"])
    token = _account(world, "reader", ["documents:read"])
    reader = CmsClient(world.client, token, on_behalf_of="jsmith")
    body = {"from": "MOS2", "into": "MOS1", "reason": "Duplicate records merged in Mosaic"}
    answer = world.client.post("/api/people/merge", headers=reader.headers, json=body)
    assert answer.status_code == 403
    hooks = world.client.post(
        "/api/webhooks/subscriptions",
        headers=reader.headers,
        json={"url": "http://127.0.0.1:9/x", "secret": SECRET},
    )
    assert hooks.status_code == 403
