"""Signed-in users attacking the web pages: each test is one attack on a page's form or route,
and what the catalog holds afterwards."""

from __future__ import annotations

from sqlalchemy import select

from catalog.models import AuditEvent, Document
from tests.unit.access.conftest import World
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
