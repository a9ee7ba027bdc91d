"""Issue 11 item 4 against a served demo: a revoked grant is gone on the next request, and only
administrators reach the access-administration routes (a role refusal stays a 403)."""

from __future__ import annotations

from tests.security.conftest import NORTH, Demo


def _north_document(demo: Demo) -> int:
    person = demo.team_people(NORTH)[0]
    return demo.count(
        "SELECT min(l.document_id) FROM document_links l JOIN documents d ON d.id = l.document_id "
        "WHERE l.person_id = ? AND d.doc_type != 'adoption'",
        person,
    )


def test_a_revoked_grant_is_gone_on_the_next_request(demo: Demo) -> None:
    document = _north_document(demo)
    code, output = demo.escr("restrict", "document", str(document), "staff", "--reason", "staff")
    assert code == 0, output
    holder = demo.client(demo.issuer.headers("cover-sw", ["practitioner"], [NORTH]))
    admin = demo.client(demo.service())
    body = {"username": "cover-sw", "restriction": "staff", "reason": "covering staff cases"}
    try:
        assert holder.get(f"/api/documents/{document}").status_code == 404
        assert admin.post("/api/admin/grants", json=body).status_code == 200
        assert holder.get(f"/api/documents/{document}").status_code == 200
        assert admin.post("/api/admin/grants/revoke", json=body).status_code == 200
        answer = holder.get(f"/api/documents/{document}")
        assert answer.status_code == 404 and "staff" not in answer.text
    finally:
        code, output = demo.escr(
            "unrestrict", "document", str(document), "staff", "--reason", "end of the attack test"
        )
        assert code == 0, output


def test_access_administration_is_for_administrators(demo: Demo) -> None:
    for username in ("ig1", "sw-north", "mig"):
        api = demo.client(demo.as_user(username))
        assert api.get("/api/admin/users/sw-north").status_code == 403
        grant = {"username": username, "restriction": "adoption", "reason": "let me read it all"}
        assert api.post("/api/admin/grants", json=grant).status_code == 403
        assert (
            api.post("/api/admin/users/ig2/deactivate", json={"reason": "x" * 20}).status_code
            == 403
        )
    held = "SELECT count(*) FROM access_grants WHERE restriction = 'adoption' AND username IN "
    assert demo.count(held + "('ig1', 'sw-north', 'mig')") == 0
