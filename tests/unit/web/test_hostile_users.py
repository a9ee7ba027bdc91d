"""Signed-in users attacking the web pages: each test is one attack on a page's form or route,
and what the catalog holds afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from sqlalchemy import select

from catalog import access as rows
from catalog.models import AuditEvent, Document
from catalog.models_access import WebSession
from core.clock import utcnow
from core.settings import Settings
from tests.unit.access.conftest import PASSWORD, World, _world
from tests.unit.web.conftest import log_in, rsa_key, world

__all__ = ["rsa_key", "world"]


def test_a_migration_officer_cannot_retype_a_restricted_document_to_read_it(world: World) -> None:
    """D4 is an adoption report: without the adoption grant a migration officer may not read
    it. Confirming its type as a case note from the queue's form took the restriction away
    (adoption is a class by type) and the officer read it; now the form answers as for a
    missing document, the type stays, and the refusal is audited."""
    adoption = world.ids["D4"]
    world.add_user("mig", "migration_officer", [])
    csrf = log_in(world.client, "mig")
    assert world.client.get(f"/documents/{adoption}").status_code == 404
    answer = world.client.post(
        f"/migration/documents/{adoption}/type",
        data={"csrf": csrf, "doc_type": "case_note"},
    )
    assert answer.status_code == 200  # back on the queue, where the refusal is shown
    assert f"document {adoption} not found" in answer.text
    assert world.client.get(f"/documents/{adoption}").status_code == 404
    with world.session() as session:
        document = session.get(Document, adoption)
        assert document is not None
        assert document.doc_type == "adoption" and not document.type_confirmed
        refused = session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor == "mig",
                AuditEvent.action == "access_denied",
                AuditEvent.target_id == str(adoption),
            )
        ).all()
        assert refused
    # A document the officer may read is still confirmed from the same form.
    letter = world.ids["D3"]
    world.client.post(
        f"/migration/documents/{letter}/type", data={"csrf": csrf, "doc_type": "correspondence"}
    )
    with world.session() as session:
        assert session.get(Document, letter).type_confirmed  # type: ignore[union-attr]


def _unlinked_adoption(manifest: Path) -> None:
    """D9: an adoption report on a legacy ID nobody has, so it waits in the exception queue."""
    (manifest.parent / "files" / "adopt9.txt").write_text("Adoption panel: placement agreed.\n")
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write("PARIS,D9,999,files/adopt9.txt,Adoption of Zebedee Quince,ADOPT,2022-02-02,\n")


@pytest.fixture
def queue_world(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: RSAPrivateKey
) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, rsa_key, _unlinked_adoption)


def test_the_queue_shows_a_restricted_documents_number_not_its_title(queue_world: World) -> None:
    """The exception queue listed an adoption report's title (a child's name) to a migration
    officer without the adoption grant, who may not open it; now it shows the number, as the
    audit log and the SAR pages do, on the page, in its recent decisions, and on the API.
    Linking it stays possible (its restriction goes with it); an administrator sees the title."""
    world = queue_world
    adoption = world.ids["D9"]
    hidden = f"document {adoption} (restricted: a grant is needed)"
    world.add_user("mig", "migration_officer", [])
    world.add_user("boss", "administrator", [])
    csrf = log_in(world.client, "mig")
    queue = world.client.get("/migration/exceptions")
    assert queue.status_code == 200
    assert "Zebedee" not in queue.text and hidden in queue.text
    officer = world.issuer.headers("mig", ["migration_officer"])
    api = world.client.get("/api/exceptions", headers=officer)
    assert api.status_code == 200 and "Zebedee" not in api.text
    item = next(i for i in api.json() if i["document_id"] == adoption)
    assert item["title"] == hidden
    linked = world.client.post(
        f"/migration/exceptions/{item['exception_id']}/link",
        data={"csrf": csrf, "person_id": "MOS3", "note": "panel minutes name Cara"},
    )
    assert linked.status_code == 200 and "Zebedee" not in linked.text
    assert f"Document {adoption} linked to MOS3." in linked.text
    log_in(world.client, "boss")
    assert "Adoption of Zebedee Quince" in world.client.get("/migration/exceptions").text


def test_no_one_reviews_their_own_break_glass_alert(world: World) -> None:
    """A team manager who is also an IG officer broke glass to Ben (team B) and marked their
    own alert reviewed ("checked, fine"): the opening left the inbox with no one else having
    looked. Now the page offers them no form and says why; a forged post is refused (audited),
    the alert stays waiting; another officer reviews it."""
    with world.session() as session:
        rows.upsert_user(
            session, username="lead", roles=["team_manager", "ig_officer"], teams=["team-a"],
            password=PASSWORD, now=utcnow(),
        )  # fmt: skip
        session.commit()
    world.add_user("ig", "ig_officer", [])
    csrf = log_in(world.client, "lead")
    opened = world.client.post(
        "/people/MOS2/break-glass",
        data={"csrf": csrf, "reason": "police at the door about Ben", "minutes": "30"},
    )
    assert opened.status_code == 200 and "Birch" in opened.text
    with world.session() as session:
        alert = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "break_glass")
        ).one()
    inbox = world.client.get("/ig/alerts")
    assert f'action="/ig/alerts/{alert}/review"' not in inbox.text
    assert "You cannot review your own break-glass" in inbox.text
    forged = world.client.post(
        f"/ig/alerts/{alert}/review", data={"csrf": csrf, "note": "checked, fine"}
    )
    assert forged.status_code == 403 and "another IG officer must" in forged.text
    with world.session() as session:
        reviews = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "break_glass_reviewed")
        ).all()
        assert reviews == []
        refused = session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor == "lead", AuditEvent.action == "access_denied"
            )
        ).all()
        assert refused
    csrf = log_in(world.client, "ig")
    assert f'action="/ig/alerts/{alert}/review"' in world.client.get("/ig/alerts").text
    world.client.post(f"/ig/alerts/{alert}/review", data={"csrf": csrf, "note": "rang lead"})
    with world.session() as session:
        assert session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "break_glass_reviewed")
        ).all() == ["ig"]


def test_another_site_cannot_sign_a_browser_in_as_someone_else(world: World) -> None:
    """Login CSRF: a page elsewhere auto-posting the login form with the attacker's own
    password signed the victim's browser in as the attacker (SameSite guards the sending of
    a cookie, not its setting), so what the victim then typed (a break-glass reason, a SAR's
    identity evidence) went on the attacker's account. A login posted from another site, as
    the browser's Sec-Fetch-Site says, is now refused; no session is made."""
    world.add_user("insider", "practitioner", ["team-a"])
    form = {"username": "insider", "password": PASSWORD, "next": "/search"}
    for site in ("cross-site", "same-site"):
        answer = world.client.post(
            "/login", data=form, headers={"Sec-Fetch-Site": site}, follow_redirects=False
        )
        assert answer.status_code == 403, site
        assert "set-cookie" not in answer.headers
    with world.session() as session:
        assert session.scalars(select(WebSession)).all() == []
    signed_in = world.client.post(
        "/login", data=form, headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False
    )
    assert signed_in.status_code == 303 and "escr_session=" in signed_in.headers["set-cookie"]
