"""The subject access workbench pages through TestClient: IG only; a request registered with the
person picked by the finder (a refused form says why); the lists (overdue, paused); a late
extension refused and shown; collation with a candidate a person includes; suggestions marked in
the text and decided; a serious-harm redaction whose sign-off is refused to its proposer and
given by a second officer; the bundle released and downloaded."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from catalog import access as rows
from catalog.db import session_factory
from catalog.models import AuditEvent, Document, DocumentText
from core.clock import utcnow
from core.settings import Settings
from domain.redaction import fold
from records import sar, sar_collate, sar_redact, sar_review
from retention.periods import server_today
from retention.sar_hold import SarHolds
from storage.factory import make_blob_store
from tests.factories.sar_archive import NEIGHBOUR, SUBJECT, UNCLE, write_sar_archive
from tests.unit.access.conftest import PASSWORD
from tests.unit.web.conftest import log_in
from workers.load import limits_from, load_archive
from workers.render.stage import render_waiting
from workers.sandbox import SandboxPool

SERIOUS_HARM = "Sch3 Pt3 para 11 serious harm"


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, int]]]:
    manifest = write_sar_archive(tmp_path / "archive")
    load_archive(settings, manifest=manifest, people=manifest.parent / "people.csv", progress=False)
    with session_factory(settings.database_url)() as session:
        for name, role in (
            ("ig-a", "ig_officer"),
            ("ig-b", "ig_officer"),
            ("prac", "practitioner"),
        ):
            rows.upsert_user(
                session, username=name, roles=[role], teams=["team-a"], password=PASSWORD,
                now=utcnow(),
            )  # fmt: skip
        ids = {d.source_document_id: d.id for d in session.scalars(select(Document))}
        session.commit()
    with TestClient(create_app()) as client:
        yield client, ids


def _flash(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    return page.text


def _do(client: TestClient, url: str, data: Mapping[str, object]) -> str:
    """Post a form; the page it leads to (where its one-time message is shown)."""
    page = client.post(url, data=data)
    assert page.status_code == 200, page.text
    return page.text


def _built(client: TestClient, sar_id: int, csrf: str) -> str:
    """Start the bundle from the page, wait for its background build, and the page after."""
    page = _do(client, f"/ig/sar/{sar_id}/bundle", {"csrf": csrf})
    assert "The bundle is being built" in page and "/static/sar.js" in page
    deadline = time.monotonic() + 300
    while client.get(f"/ig/sar/{sar_id}/bundle/status").json()["running"]:
        assert time.monotonic() < deadline, "the build did not finish in 300 s"
        time.sleep(0.5)
    page = _flash(client, f"/ig/sar/{sar_id}")
    assert "The bundle is being built" not in page
    return page


def _collated(session: Session, person_id: str) -> int:
    """A request for the person, received today, opened and collated by ig-a (not committed)."""
    holds = SarHolds(None)
    request = sar.open_request(
        session, person_id=person_id, received=server_today(), actor="ig-a",
        today=server_today(), holds=holds,
    )  # fmt: skip
    sar_collate.collate(session, request.id, actor="ig-a", holds=holds)
    return request.id


def _register(client: TestClient, csrf: str) -> int:
    person = client.get(f"/people/{SUBJECT}").text
    assert f'href="/ig/sar/new?person={SUBJECT}"' in person
    chosen = client.get("/ig/sar/new", params={"person": SUBJECT}).text
    assert "Chosen: <strong>Jane Smith</strong>" in chosen
    assert f'type="hidden" name="person_id" value="{SUBJECT}"' in chosen
    found = client.get("/ig/sar/new", params={"find": "Jane Smith 05/04/2009"}).text
    assert f'name="person_id" value="{SUBJECT}"' in found
    received = (server_today() - timedelta(days=70)).isoformat()
    form = {"csrf": csrf, "received": received, "channel": "letter", "relationship": "parent"}
    refused = client.post("/ig/sar/new", data=form)
    assert refused.status_code == 422 and "choose the person" in refused.text
    refused = client.post("/ig/sar/new", data={**form, "person_id": SUBJECT})
    assert refused.status_code == 422 and "names the requester" in refused.text
    assert 'value="letter" selected' in refused.text  # the form comes back filled
    made = client.post(
        "/ig/sar/new",
        data={**form, "person_id": SUBJECT, "requester_name": "Ann Smith",
              "identity_evidence": "passport seen", "authority_evidence": "birth certificate"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    return int(made.headers["location"].rsplit("/", 1)[1])


def test_the_workbench_from_registration_to_release(
    loaded: tuple[TestClient, dict[str, int]],
) -> None:
    client, ids = loaded
    log_in(client, "prac")
    assert client.get("/ig/sar").status_code == 403
    csrf = log_in(client, "ig-a")
    assert (
        client.post("/ig/sar/new", data={"csrf": "forged", "person_id": SUBJECT}).status_code == 403
    )
    sar_id = _register(client, csrf)
    page = _flash(client, f"/ig/sar/{sar_id}")
    assert f"Request {sar_id} registered" in page and "Ann Smith, a parent" in page
    assert "Too late to extend" in page and "days overdue" in page
    listed = client.get("/ig/sar").text
    assert listed.index(f"SAR-{sar_id}") < listed.index('id="soon-h"')  # in the overdue list

    page = _do(client, f"/ig/sar/{sar_id}/extend", {"csrf": csrf, "reason": "many records"})
    assert "Extension refused" in page and "within the first month" in page
    client.post(
        f"/ig/sar/{sar_id}/pause",
        data={"csrf": csrf, "reason_type": "identity", "reason": "asked for photo ID"},
    )
    listed = client.get("/ig/sar").text
    assert (
        listed.index('id="paused-h"') < listed.index(f"SAR-{sar_id}") < listed.index('id="later-h"')
    )
    assert "The clock runs again" in _do(client, f"/ig/sar/{sar_id}/resume", {"csrf": csrf})

    page = _do(client, f"/ig/sar/{sar_id}/collate", {"csrf": csrf})
    assert "3 documents included, 1 candidates" in page and "Case note on Tom" in page
    assert "crosswalk (legacy ID)" in page and "mentions the person" in page
    assert "1 candidate documents are not decided" in page
    # Named as documents, not a Python list ("[4]"); types by their names, not codes.
    assert f"(include or leave out): document {ids['D4']}</li>" in page
    types = re.findall(r'<span class="meta">([^,<]+), PARIS, \d+ pages?</span>', page)
    assert types and all("_" not in t for t in types), types
    page = _do(
        client,
        f"/ig/sar/{sar_id}/items/{ids['D4']}",
        {"csrf": csrf, "decision": "include", "reason": "about Jane too"},
    )
    assert f"Document {ids['D4']} included" in page

    page = _do(client, f"/ig/sar/{sar_id}/suggest", {"csrf": csrf})
    assert "redactions suggested in 4 documents" in page and "cannot be built yet" in page
    assert re.search(r"suggested redactions are not decided, in documents \d+, \d+", page)
    for source in ("D1", "D2", "D3", "D4"):
        review = client.get(f"/ig/sar/{sar_id}/documents/{ids[source]}").text
        if source in ("D1", "D3"):
            assert f'<mark class="mark-suggested">{NEIGHBOUR}</mark>' in review
        for rid, term in re.findall(r'id="redaction-(\d+)">\s*<p><strong>“([^”]+)”', review):
            keep = fold(term).chars == fold(NEIGHBOUR).chars
            client.post(
                f"/ig/sar/{sar_id}/documents/{ids[source]}/redactions/{rid}",
                data={"csrf": csrf, "decision": "accept" if keep else "reject",
                      "code": "Sch2 Pt3 third party", "reason": "neighbour" if keep else "no"},
            )  # fmt: skip
    review = client.get(f"/ig/sar/{sar_id}/documents/{ids['D1']}").text
    assert f'<mark class="mark-accepted">{NEIGHBOUR}</mark>' in review and "None waiting." in review

    review = _do(
        client, f"/ig/sar/{sar_id}/documents/{ids['D2']}/redactions",
        {"csrf": csrf, "term": UNCLE, "scope": "document", "code": SERIOUS_HARM,
         "reason": "she fears him"},
    )  # fmt: skip
    assert f"“{UNCLE}” redacted wherever it occurs in this document" in review
    # Widened to his title too, then back: a change is made with a reason.
    uncle = re.findall(r"redactions/(\d+)/move", review)[-1]
    moved = _do(
        client, f"/ig/sar/{sar_id}/documents/{ids['D2']}/redactions/{uncle}/move",
        {"csrf": csrf, "term": "", "reason": "fuller"},
    )  # fmt: skip
    assert f"Redaction {uncle} not changed" in moved
    moved = _do(
        client, f"/ig/sar/{sar_id}/documents/{ids['D2']}/redactions/{uncle}/move",
        {"csrf": csrf, "term": f"that {UNCLE}", "reason": "the words around him too"},
    )  # fmt: skip
    assert f"The redaction now covers “that {UNCLE}”" in moved
    review = _do(
        client, f"/ig/sar/{sar_id}/documents/{ids['D2']}/redactions/{uncle}/move",
        {"csrf": csrf, "term": UNCLE, "reason": "his name is enough"},
    )  # fmt: skip
    assert "pending: a second officer, not ig-a" in review
    page = client.get(f"/ig/sar/{sar_id}").text
    assert "You cannot: you made or accepted it" in page
    redaction = re.search(r"Sign off redaction (\d+)", page)
    assert redaction is None  # no box to tick for the proposer
    waiting = re.findall(r'href="/ig/sar/\d+/documents/(\d+)">Care plan', page)
    assert waiting, page
    # An area of a page (a signature, say): refused without a reason, then kept.
    box = {"csrf": csrf, "page": "1", "x": "72", "y": "700", "w": "200", "h": "40",
           "code": "Sch2 Pt3 third party"}  # fmt: skip
    boxed = _do(client, f"/ig/sar/{sar_id}/documents/{ids['D2']}/boxes", box)
    assert "Not redacted: every redaction needs a reason" in boxed
    boxed = _do(
        client, f"/ig/sar/{sar_id}/documents/{ids['D2']}/boxes", {**box, "reason": "signature"}
    )
    assert "An area of page 1 redacted" in boxed and "72.0, 700.0; 200.0 by 40.0 points" in boxed
    # A forged form ticking the proposer's own redaction is refused below the page.
    accepted = rf'id="redaction-(\d+)">\s*<td data-label="Redaction">“{UNCLE}”[^\n]*\n\s*'
    own = re.search(accepted + '<td data-label="Decision">accepted', review)
    assert own is not None
    page = _do(client, f"/ig/sar/{sar_id}/approve", {"csrf": csrf, "redactions": [own.group(1)]})
    assert "Sign-off refused (separation of duties)" in page

    csrf_b = log_in(client, "ig-b")
    page = client.get(f"/ig/sar/{sar_id}").text
    ticked = re.findall(r'name="redactions" value="(\d+)"', page)
    assert len(ticked) == 1
    page = _do(client, f"/ig/sar/{sar_id}/approve", {"csrf": csrf_b, "redactions": ticked})
    assert "1 redactions signed off by ig-b" in page and "Build and release the bundle" in page

    page = _built(client, sar_id, csrf_b)
    assert "The release gate found no redacted term" in page, page
    link = re.search(r'href="(/ig/sar/\d+/releases/\d+/bundle\.pdf)"', page)
    assert link is not None
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    page = _do(client, f"/ig/sar/{sar_id}/close", {"csrf": csrf_b, "reason": "bundle sent"})
    assert f"Request {sar_id} released; its hold is released" in page
    assert "Close the request" not in page and "Build and release" not in page
    listed = client.get("/ig/sar").text
    assert listed.index('id="closed-h"') < listed.index(f"SAR-{sar_id}")

    # The same person asks again: the new request starts from that release's decisions.
    made = client.post(
        "/ig/sar/new",
        data={"csrf": csrf_b, "person_id": SUBJECT, "received": server_today().isoformat(),
              "channel": "email", "relationship": "subject"},
    )  # fmt: skip
    later = int(str(made.url).rstrip("/").rsplit("/", 1)[1])
    page = _do(client, f"/ig/sar/{later}/collate", {"csrf": csrf_b})
    assert "Start from the last release" in page and f"SAR-{sar_id}</a>" in page
    page = _do(client, f"/ig/sar/{later}/start-from-last-release", {"csrf": csrf_b})
    assert "Started from release" in page and "1 document decisions reused" in page
    assert "0 documents are new since then" in page
    # The copied serious-harm redaction needs a second sign-off again, not from ig-b now.
    assert "You cannot: you made or accepted it" in page


def test_a_bundle_the_gate_refuses_is_shown_refused_and_not_kept(
    loaded: tuple[TestClient, dict[str, int]], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.redact import bundle

    client, ids = loaded
    with session_factory(settings.database_url)() as session:
        sar_id = _collated(session, SUBJECT)
        sar_review.decide_item(
            session, sar_id, ids["D4"], actor="ig-a", decision="exclude", reason="Tom's"
        )
        sar_redact.add(
            session, sar_id, actor="ig-a", term=NEIGHBOUR, code="Sch2 Pt3 third party",
            reason="the neighbour",
        )  # fmt: skip
        session.commit()
    assemble = bundle._assemble

    def leaky(parts, burned, out):  # type: ignore[no-untyped-def]
        ranges = assemble(parts, burned, out)
        with pikepdf.open(out, allow_overwriting_input=True) as pdf:
            pdf.docinfo["/Author"] = NEIGHBOUR  # what a careless tool adds after the burn
            pdf.save(out)
        return ranges

    monkeypatch.setattr(bundle, "_assemble", leaky)
    csrf = log_in(client, "ig-a")
    page = _built(client, sar_id, csrf)
    assert "Release refused by the gate" in page and "nothing was released" in page
    assert "/Author" in page or "metadata" in page or "info" in page.lower(), page
    assert "bundle.pdf" not in page  # no release to download
    with session_factory(settings.database_url)() as session:
        assert sar_review.releases_of(session, sar_id) == []
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "sar_release_refused" in actions and "sar_release" not in actions


def test_the_request_page_shows_copies_near_duplicates_and_threads(
    settings: Settings, tmp_path: Path
) -> None:
    from tests.unit.records.test_sar_collate import _archive

    manifest = _archive(tmp_path / "collate")
    load_archive(settings, manifest=manifest, people=manifest.parent / "people.csv", progress=False)
    with session_factory(settings.database_url)() as session:
        rows.upsert_user(
            session, username="ig-a", roles=["ig_officer"], teams=[], password=PASSWORD,
            now=utcnow(),
        )  # fmt: skip
        sar_id = _collated(session, "MOS1")
        session.commit()
    with TestClient(create_app()) as client:
        log_in(client, "ig-a")
        page = client.get(f"/ig/sar/{sar_id}").text
    threads = page.split('id="threads-h"', 1)[1].split("</div>", 1)[0]
    assert "<strong>“contact arrangements”</strong>, 2 messages" in threads
    assert "RE: Contact arrangements" in threads
    groups = page.split('id="groups-h"', 1)[1].split("</ul>", 1)[0]
    assert "Home visit" in groups and "Home visit (copy)" in groups and "% alike" in groups
    left_out = page.split('id="excluded-h"', 1)[1].split("</ul>", 1)[0]
    assert "LAC review (again)" in left_out and "the same content as" in left_out
    assert "carries the NHS number" in page and "names Jane Smith with their date of birth" in page


def test_document_text_on_the_review_page_is_escaped_around_its_marks(
    loaded: tuple[TestClient, dict[str, int]], settings: Settings
) -> None:
    client, ids = loaded
    hostile = f'<script>alert(1)</script> <b onclick="x()">{NEIGHBOUR}</b> rang'
    with session_factory(settings.database_url)() as session:
        text = session.get(DocumentText, ids["D1"])
        assert text is not None
        text.text = hostile
        sar_id = _collated(session, SUBJECT)
        sar_redact.add(
            session, sar_id, actor="ig-a", term=NEIGHBOUR, document_id=ids["D1"],
            code="Sch2 Pt3 third party", reason="neighbour",
        )  # fmt: skip
        session.commit()
    log_in(client, "ig-a")
    page = client.get(f"/ig/sar/{sar_id}/documents/{ids['D1']}").text
    assert "<script>alert(1)</script>" not in page and 'onclick="x()"' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f'&lt;b onclick=&#34;x()&#34;&gt;<mark class="mark-accepted">{NEIGHBOUR}</mark>' in page


def test_pages_ocr_read_poorly_are_pointed_out_to_the_reviewer(
    loaded: tuple[TestClient, dict[str, int]], settings: Settings
) -> None:
    """A name on a page OCR could hardly read may be found neither in the text nor on the page
    image when the bundle is built (decision 0048): the review page says which pages to look
    at, and says nothing on a document read well."""
    client, ids = loaded
    with session_factory(settings.database_url)() as session:
        scan = session.get(Document, ids["D1"])
        assert scan is not None
        scan.ocr_pages, scan.ocr_page_confidence = 3, {"1": 0.93, "2": 0.31, "3": 0.12}
        sar_id = _collated(session, SUBJECT)
        session.commit()
    log_in(client, "ig-a")
    page = client.get(f"/ig/sar/{sar_id}/documents/{ids['D1']}").text
    assert "OCR read pages 2, 3 of this scan poorly" in page
    assert "draw a box over any third party" in page
    well_read = client.get(f"/ig/sar/{sar_id}/documents/{ids['D2']}")
    assert well_read.status_code == 200 and "of this scan poorly" not in well_read.text


def test_a_restricted_document_is_reviewed_only_with_its_grant(
    loaded: tuple[TestClient, dict[str, int]], settings: Settings
) -> None:
    client, ids = loaded
    with session_factory(settings.database_url)() as session:
        rows.add_restriction(
            session, target_type="document", target_id=str(ids["D2"]), restriction="sensitive",
            reason="test", actor="admin", now=utcnow(),
        )  # fmt: skip
        sar_id = _collated(session, SUBJECT)
        session.commit()
    csrf = log_in(client, "ig-a")
    page = client.get(f"/ig/sar/{sar_id}").text
    assert f"document {ids['D2']} (restricted: a grant is needed)" in page
    assert "Care plan" not in page and f'/documents/{ids["D2"]}"' not in page
    refused = client.get(f"/ig/sar/{sar_id}/documents/{ids['D2']}")
    assert refused.status_code == 403 and "restricted (sensitive)" in refused.text
    # Nor released unread: a bundle is the document's content (decision 0042).
    bundle = client.post(f"/ig/sar/{sar_id}/bundle", data={"csrf": csrf}, follow_redirects=False)
    assert bundle.status_code == 403
    with session_factory(settings.database_url)() as session:
        rows.add_grant(
            session, username="ig-a", restriction="sensitive", reason="SAR review",
            actor="admin", now=utcnow(),
        )  # fmt: skip
        session.commit()
    assert "Care plan" in client.get(f"/ig/sar/{sar_id}").text
    assert client.get(f"/ig/sar/{sar_id}/documents/{ids['D2']}").status_code == 200


def test_a_document_on_no_ones_record_shows_its_pages_to_its_sar_reviewer(
    settings: Settings, tmp_path: Path
) -> None:
    """A referral on no one's record that carries Jane's NHS number is collated as a
    candidate; its review page's area picker fetches its pages through the request, since the
    viewer's own address refuses a document linked to no one. Only IG, only for a document of
    that request; the fetch naming the page's view is part of that one audited look."""
    manifest = write_sar_archive(tmp_path / "archive")
    (manifest.parent / "referral.txt").write_text(
        "School referral. The pupil (NHS number 943 476 5919) was upset in class today.\n",
        encoding="utf-8",
    )
    with manifest.open("a", encoding="utf-8") as rows_file:
        rows_file.write("PARIS,D5,,referral.txt,School referral,NOTE,2025-01-14,\n")
    load_archive(settings, manifest=manifest, people=manifest.parent / "people.csv", progress=False)
    with (
        SandboxPool(1, limits_from(settings), settings.tmp_dir / "r") as pool,
        session_factory(settings.database_url)() as session,
    ):
        render_waiting(session, make_blob_store(settings), pool)
        for name, role in (("ig-a", "ig_officer"), ("prac", "practitioner")):
            rows.upsert_user(
                session, username=name, roles=[role], teams=["team-a"], password=PASSWORD,
                now=utcnow(),
            )  # fmt: skip
        referral = session.scalar(select(Document.id).where(Document.source_document_id == "D5"))
        assert referral is not None
        sar_id = _collated(session, SUBJECT)
        session.commit()
    with TestClient(create_app()) as client:
        log_in(client, "ig-a")
        review = client.get(f"/ig/sar/{sar_id}/documents/{referral}")
        assert review.status_code == 200, review.text
        source = re.search(r'data-src="([^"]+)"', review.text)
        assert source is not None, "the area picker has no pages to draw"
        address = source.group(1).replace("&amp;", "&")
        assert address.startswith(f"/ig/sar/{sar_id}/documents/{referral}/rendition?view=")
        # Its pages open in a tab through the request too, not through the practitioners'
        # viewer, which refuses a document on no one's record (the link was a 404).
        assert f'href="/documents/{referral}"' not in review.text
        opener = re.search(r'<a href="([^"]+)"[^>]*>Open the document\'s pages</a>', review.text)
        assert opener is not None and opener.group(1).replace("&amp;", "&") == address
        pdf = client.get(address)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        # The viewer's own address still refuses it: no one's record is no team's.
        assert client.get(f"/documents/{referral}/rendition").status_code == 404
        # Not through a request it is not in, and never to a practitioner.
        assert client.get(f"/ig/sar/{sar_id}/documents/999999/rendition").status_code == 404
        log_in(client, "prac")
        assert client.get(address).status_code == 403
    with session_factory(settings.database_url)() as session:
        reads = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.actor == "ig-a",
                AuditEvent.target_type == "document",
                AuditEvent.target_id == str(referral),
                AuditEvent.action.in_(["view", "view_rendition"]),
            )
        )
        assert list(reads) == ["view"]  # the page and the pages it drew: one look
