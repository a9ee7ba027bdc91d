"""The SAR review routes end to end on a loaded archive (issue 15): a candidate included only by
a person's decision, suggestions reviewed, a serious-harm redaction refused to its proposer and
signed off by a second officer, the bundle refused while anything waits and then released,
its files downloaded (no redacted term in the PDF's text), and a later request started from
that release. Every step is audited with the person."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from catalog import access as rows
from catalog.db import session_factory
from catalog.models import AuditEvent, Document
from core.clock import utcnow
from core.settings import Settings, get_settings
from domain.redaction import contains_any, fold
from tests.factories.sar_archive import NEIGHBOUR, SUBJECT, UNCLE, write_sar_archive
from tests.unit.access.conftest import AUDIENCE, ISSUER, Issuer, rsa_key, write_jwks
from workers.load import load_archive

__all__ = ["rsa_key"]
SERIOUS_HARM = "Sch3 Pt3 para 11 serious harm"
THIRD_PARTY = "Sch2 Pt3 third party"


class Api:
    def __init__(self, client: TestClient, issuer: Issuer, settings: Settings) -> None:
        self.client, self.issuer, self.settings = client, issuer, settings

    def as_(self, user: str) -> dict[str, str]:
        return self.issuer.headers(user, ["ig_officer"])

    def post(self, user: str, url: str, body: object = None) -> tuple[int, Any]:
        answer = self.client.post(
            url, json=body if body is not None else {}, headers=self.as_(user)
        )
        return answer.status_code, answer.json()

    def get(self, user: str, url: str) -> Any:
        answer = self.client.get(url, headers=self.as_(user))
        assert answer.status_code == 200, answer.text
        return answer.json()

    def actions(self) -> list[str]:
        with session_factory(self.settings.database_url)() as session:
            return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def api(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[Api]:
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, rsa_key)
    monkeypatch.setenv("ESCR_AUTH__ISSUER", ISSUER)
    monkeypatch.setenv("ESCR_AUTH__AUDIENCE", AUDIENCE)
    monkeypatch.setenv("ESCR_AUTH__JWKS_PATH", str(jwks))
    get_settings.cache_clear()
    configured = get_settings()
    manifest = write_sar_archive(tmp_path / "archive")
    load_archive(
        configured, manifest=manifest, people=manifest.parent / "people.csv", progress=False
    )
    with TestClient(create_app()) as client:
        yield Api(client, Issuer(rsa_key), configured)


def _documents(settings: Settings) -> dict[str, int]:
    with session_factory(settings.database_url)() as session:
        return {d.source_document_id: d.id for d in session.scalars(select(Document))}


def _open(api: Api) -> int:
    status, made = api.post(
        "ig1", "/api/sar", {"person_id": SUBJECT, "received": date.today().isoformat()}
    )
    assert status == 200, made
    sar_id = int(str(made["id"]))
    status, counts = api.post("ig1", f"/api/sar/{sar_id}/collate")
    assert status == 200 and counts["included"] == 3 and counts["candidates"] == 1, counts
    return sar_id


def test_review_sign_off_release_and_start_again(api: Api) -> None:
    ids = _documents(api.settings)
    sar_id = _open(api)
    base = f"/api/sar/{sar_id}"

    # A candidate: the bundle waits for a decision on it; a reason is needed, and only a
    # person's decision includes it.
    status, blocked = api.post("ig1", f"{base}/bundle")
    assert status == 409 and "1 candidate documents are not decided" in blocked["detail"]
    status, refused = api.post(
        "ig1", f"{base}/items/{ids['D4']}/decision", {"decision": "include", "reason": " "}
    )
    assert status == 422, refused
    status, decided = api.post(
        "ig1", f"{base}/items/{ids['D4']}/decision",
        {"decision": "include", "reason": "Tom's note is about Jane too"},
    )  # fmt: skip
    assert status == 200 and decided["status"] == "included" and decided["decided_by"] == "ig1"

    codes = {e["code"]: e for e in api.get("ig1", "/api/sar/exemptions")["exemptions"]}
    assert codes[SERIOUS_HARM]["second_signoff"] and not codes[THIRD_PARTY]["second_signoff"]

    status, suggested = api.post("ig1", f"{base}/suggest")
    assert status == 200 and int(str(suggested["suggested"])) >= 2, suggested
    listed = api.get("ig1", f"{base}/redactions")
    rows = listed["redactions"]
    assert isinstance(rows, list)
    neighbour = [r for r in rows if fold(r["term"]).chars == fold(NEIGHBOUR).chars]
    assert {r["document_id"] for r in neighbour} == {ids["D1"], ids["D3"]}
    assert any("not decided" in b for b in listed["blockers"])
    for row in rows:
        keep = row in neighbour
        status, _ = api.post(
            "ig1", f"{base}/redactions/{row['id']}/decision",
            {"decision": "accept" if keep else "reject", "code": THIRD_PARTY,
             "reason": "the neighbour who rang" if keep else "not a third party"},
        )  # fmt: skip
        assert status == 200

    # A serious-harm redaction: the bundle waits for a second officer, never the proposer.
    status, made = api.post(
        "ig1", f"{base}/redactions",
        {"term": UNCLE, "document_id": ids["D2"], "code": SERIOUS_HARM,
         "reason": "Jane fears him knowing she spoke"},
    )  # fmt: skip
    assert status == 200, made
    status, blocked = api.post("ig1", f"{base}/bundle")
    assert status == 409 and "second sign-off" in str(blocked["detail"])
    status, refused = api.post("ig1", f"{base}/approve")
    assert status == 403, refused
    assert api.actions()[-1] == "access_denied"  # the refusal is kept though the call failed
    status, approved = api.post("ig2", f"{base}/approve")
    assert (status, approved) == (200, {"approved": 1})

    status, built = api.post("ig1", f"{base}/bundle")
    assert status == 200 and built["ok"] is True, built
    assert built["rendered"] == 4 and built["documents"] == 4
    release = int(str(built["release_id"]))
    pdf = api.client.get(f"{base}/releases/{release}/bundle.pdf", headers=api.as_("ig2"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf.content))
    assert contains_any(text, [UNCLE, NEIGHBOUR]) == []
    bundle = api.client.get(f"{base}/releases/{release}/bundle.zip", headers=api.as_("ig2"))
    assert bundle.headers["content-type"] == "application/zip"
    members = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert {"00-covering-letter.pdf", "manifest.csv"} <= set(members)
    assert (
        api.client.get(f"{base}/releases/{release}/other.txt", headers=api.as_("ig2")).status_code
        == 404
    )
    assert "sar_release_download" in api.actions()
    shown = api.get("ig1", f"{base}/releases")
    assert [r["id"] for r in shown["releases"]] == [release] and shown["previous"] is None

    # A later request by the same person starts from that release.
    later = _open(api)
    assert api.get("ig1", f"/api/sar/{later}/releases")["previous"]["id"] == release
    status, started = api.post("ig1", f"/api/sar/{later}/start-from-last-release")
    assert status == 200, started
    assert started["items_decided"] == 1 and started["new_documents"] == []
    assert started["redactions_copied"] == len(rows) + 1
    again = api.get("ig1", f"/api/sar/{later}/redactions")
    uncle = [r for r in again["redactions"] if r["term"] == UNCLE]
    assert uncle and uncle[0]["approved_by"] == "" and "as in release" in uncle[0]["reason"]
    assert any("second sign-off" in b for b in again["blockers"])
    # Suggesting again asks nothing already decided.
    status, suggested = api.post("ig1", f"/api/sar/{later}/suggest")
    assert status == 200 and suggested["suggested"] == 0


def test_the_review_routes_refuse_non_ig_callers(api: Api) -> None:
    sar_id = _open(api)
    practitioner = api.issuer.headers("prac", ["practitioner"], ["team-a"])
    for method, url in (
        ("get", "/api/sar/exemptions"),
        ("get", f"/api/sar/{sar_id}/redactions"),
        ("post", f"/api/sar/{sar_id}/suggest"),
        ("post", f"/api/sar/{sar_id}/bundle"),
    ):
        answer = getattr(api.client, method)(url, headers=practitioner)
        assert answer.status_code == 403, url
    assert api.post("ig1", "/api/sar/999999/start-from-last-release")[0] == 404
    status, none = api.post("ig1", f"/api/sar/{sar_id}/start-from-last-release")
    assert status == 404 and "no earlier release" in str(none["detail"])


def test_a_restricted_document_is_released_and_shown_only_with_its_grant(api: Api) -> None:
    """Without the grant the pages hide a restricted document's title and refuse its review;
    the API listed its title, and any IG officer could build the bundle and download the
    document in it. Now the items hide the title, and building or downloading a bundle that
    holds it needs the grant (403, audited)."""
    ids = _documents(api.settings)
    with session_factory(api.settings.database_url)() as session:
        rows.add_restriction(
            session, target_type="document", target_id=str(ids["D2"]), restriction="sensitive",
            reason="test", actor="admin", now=utcnow(),
        )  # fmt: skip
        session.commit()
    sar_id = _open(api)
    base = f"/api/sar/{sar_id}"
    status, collated = api.post("ig1", f"{base}/collate")
    assert status == 200
    hidden = f"document {ids['D2']} (restricted: a grant is needed)"
    assert hidden in [i["title"] for i in collated["items"]]
    status, _ = api.post(
        "ig1", f"{base}/items/{ids['D4']}/decision",
        {"decision": "exclude", "reason": "about the uncle, not Jane"},
    )  # fmt: skip
    assert status == 200
    titles = {i["document_id"]: i["title"] for i in api.get("ig1", f"{base}/items")["items"]}
    assert titles[ids["D2"]] == hidden
    # A reviewer holding the grant redacts a name in it: the name is the document's content.
    with session_factory(api.settings.database_url)() as session:
        rows.add_grant(
            session, username="ig2", restriction="sensitive", reason="SAR of Jane",
            actor="admin", now=utcnow(),
        )  # fmt: skip
        session.commit()
    status, made = api.post(
        "ig2", f"{base}/redactions",
        {"term": UNCLE, "document_id": ids["D2"], "code": SERIOUS_HARM, "reason": "the uncle"},
    )  # fmt: skip
    assert status == 200, made
    status, refused = api.post("ig1", f"{base}/approve")  # a sign-off of what ig1 cannot read
    assert status == 403 and "grant" in refused["detail"], refused
    assert UNCLE not in str(api.get("ig1", f"{base}/redactions")["redactions"])
    assert UNCLE in str(api.get("ig2", f"{base}/redactions")["redactions"])
    # Nor decided, changed or added to blind (a decision's answer shows the term).
    redaction = f"{base}/redactions/{made['redactions'][0]['id']}"
    for url, body in (
        (f"{redaction}/decision", {"decision": "reject", "reason": "not a third party"}),
        (f"{redaction}/move", {"term": "Kane", "reason": "the surname alone"}),
        (f"{base}/redactions", {"term": "Saturdays", "document_id": ids["D2"],
                                "code": THIRD_PARTY, "reason": "a guess"}),
    ):  # fmt: skip
        status, answer = api.post("ig1", url, body)
        assert status == 403 and UNCLE not in str(answer), (url, answer)
    status, refused = api.post("ig1", f"{base}/bundle")
    assert status == 403 and "grant" in refused["detail"], refused
    assert api.actions()[-1] == "access_denied"
    with session_factory(api.settings.database_url)() as session:
        rows.add_grant(
            session, username="ig1", restriction="sensitive", reason="SAR of Jane",
            actor="admin", now=utcnow(),
        )  # fmt: skip
        session.commit()
    status, approved = api.post("ig1", f"{base}/approve")
    assert (status, approved) == (200, {"approved": 1})
    status, built = api.post("ig1", f"{base}/bundle")
    assert status == 200 and built["ok"] is True, built
    release = f"{base}/releases/{built['release_id']}"
    for name in ("bundle.pdf", "bundle.zip"):
        assert api.client.get(f"{release}/{name}", headers=api.as_("ig3")).status_code == 403
        assert api.client.get(f"{release}/{name}", headers=api.as_("ig1")).status_code == 200
