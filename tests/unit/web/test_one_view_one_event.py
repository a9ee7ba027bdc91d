"""Opening a document's page is one audit event: the page, its text and the PDF its viewer
fetches were three (`view`, `view_text`, `view_rendition`), so "who looked at my record" listed
every look three times."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from catalog.models import AuditEvent
from storage.factory import make_blob_store
from tests.unit.access.conftest import World
from tests.unit.web.conftest import log_in
from workers.load import limits_from
from workers.render.stage import render_waiting
from workers.sandbox import SandboxPool


def _reads_of(world: World, document_id: int) -> list[str]:
    with world.session() as session:
        query = select(AuditEvent.action).where(
            AuditEvent.actor == "alice",
            AuditEvent.target_type == "document",
            AuditEvent.target_id == str(document_id),
        )
        return list(session.scalars(query.order_by(AuditEvent.id)))


def test_a_document_page_with_its_viewer_is_one_event(world: World) -> None:
    world.add_user("alice", "practitioner", ["team-a"])
    log_in(world.client, "alice")
    document_id = world.ids["D1"]
    page = world.client.get(f"/documents/{document_id}")
    assert page.status_code == 200
    assert _reads_of(world, document_id) == ["view"]
    # The viewer's fetch of the file names the page view it belongs to (D1 is text, so
    # the viewer is not on its page here: the address is the one a PDF's page gives it).
    pdf = world.client.get(f"/documents/{document_id}/content?view={_view_id(world)}")
    assert pdf.status_code == 200
    assert _reads_of(world, document_id) == ["view"]
    # A download is a read of its own, and so is a fetch that names no page view.
    world.client.get(f"/documents/{document_id}/content?download=true")
    world.client.get(f"/documents/{document_id}/content")
    assert _reads_of(world, document_id) == ["view", "download", "view_content"]


def _view_id(world: World) -> int:
    with world.session() as session:
        query = select(AuditEvent.id).where(AuditEvent.action == "view")
        found = session.scalar(query.order_by(AuditEvent.id.desc()).limit(1))
    assert found is not None
    return int(found)


def test_the_viewer_fetches_the_rendition_as_part_of_the_view(world: World) -> None:
    with (
        SandboxPool(1, limits_from(world.settings), world.settings.tmp_dir / "r") as pool,
        world.session() as session,
    ):
        render_waiting(session, make_blob_store(world.settings), pool)
    world.add_user("alice", "practitioner", ["team-a"])
    log_in(world.client, "alice")
    page = world.client.get(f"/documents/{world.ids['D1']}")
    source = re.search(r'data-src="([^"]+)"', page.text)
    assert source is not None and "/rendition?view=" in source.group(1)
    pdf = world.client.get(html.unescape(source.group(1)))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert _reads_of(world, world.ids["D1"]) == ["view"]
    # The same address later, or without the view, is a read of its own.
    world.client.get(f"/documents/{world.ids['D1']}/rendition")
    assert _reads_of(world, world.ids["D1"]) == ["view", "view_rendition"]


def test_a_view_of_another_person_or_document_is_not_honoured(world: World) -> None:
    world.add_user("alice", "practitioner", ["team-a"])
    world.add_user("carol", "practitioner", ["team-a"])
    log_in(world.client, "alice")
    world.client.get(f"/documents/{world.ids['D1']}")
    view = _view_id(world)
    log_in(world.client, "carol")
    world.client.get(f"/documents/{world.ids['D1']}/content?view={view}")
    with world.session() as session:
        carol = list(session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "carol")))
    assert carol.count("view_content") == 1  # alice's view does not cover carol's read
    log_in(world.client, "alice")
    world.client.get(f"/documents/{world.ids['D5']}/content?view={view}")
    assert _reads_of(world, world.ids["D5"]) == ["view_content"]  # nor another document
