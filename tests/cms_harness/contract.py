"""The contract's calls as a CMS makes them, each checked against what the contract promises
(README "The CMS contract"). Each scenario takes CmsClients, so the same checks run against
the embedded default (tests/unit/api/test_cms_contract.py) and the scale-out stack
(tests/integration/test_cms_scaleout.py)."""

from __future__ import annotations

import hashlib
import uuid

from tests.cms_harness.client import CmsClient
from tests.cms_harness.documents import letter_pdf, scan_png


def _word() -> str:
    """A word no other document holds, so a search for it finds only this upload."""
    return "zq" + uuid.uuid4().hex[:10]


def upload_until_searchable(cms: CmsClient, person_id: str) -> int:
    """A letter stored for a person: 202 with its ID at once, then indexed, searchable, on
    the person's list, linked by the CMS, with the metadata it was sent with."""
    word = _word()
    response = cms.upload_response(
        person_id,
        letter_pdf(word),
        "review-letter.pdf",
        {
            "title": "Review letter",
            "document_date": "2026-11-02",
            "source_reference": "MOSAIC-DOC-81234",
            "author": "J Smith",
        },
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status_url"] == f"/api/documents/{body['id']}/status"
    assert response.headers["location"] == body["status_url"]
    assert body["replayed"] is False
    status = cms.wait_until_ended(body["id"])
    assert status["state"] == "indexed" and status["searchable"], status
    assert status["person_ids"] == [person_id]
    assert cms.search(word, person_id) == [body["id"]]
    metadata = cms.get(f"/api/documents/{body['id']}").json()
    assert metadata["title"] == "Review letter"
    assert metadata["document_date"] == "2026-11-02"
    assert metadata["pages"] == 3
    assert [link["method"] for link in metadata["links"]] == ["cms"]
    listed = cms.documents_of(person_id)
    assert body["id"] in [d["document_id"] for d in listed["documents"]]
    return int(body["id"])


def scan_is_ocred(cms: CmsClient, person_id: str) -> None:
    """A one-page scan goes through OCR: its word is found by a search."""
    word = "PINEAPPLE"
    stored = cms.upload(person_id, scan_png(word), "phone-note.png", {"title": "Phone note"})
    status = cms.wait_until_ended(stored.id)
    assert status["state"] == "indexed", status
    text = cms.get(f"/api/documents/{stored.id}/text").text
    assert word in text.upper()


def retry_stores_once(cms: CmsClient, person_id: str) -> None:
    """The same Idempotency-Key again answers the same document and stores nothing; the key
    with another file is refused (409)."""
    before = cms.documents_of(person_id)["total"]
    content, key = letter_pdf(_word()), uuid.uuid4().hex
    first = cms.upload(person_id, content, "letter.pdf", {"title": "Retried"}, key=key)
    second = cms.upload(person_id, content, "letter.pdf", {"title": "Retried"}, key=key)
    assert (second.id, second.replayed) == (first.id, True)
    cms.wait_until_ended(first.id)
    third = cms.upload(person_id, content, "letter.pdf", {"title": "Retried"}, key=key)
    assert third.id == first.id
    assert cms.documents_of(person_id)["total"] == before + 1
    other = cms.upload_response(person_id, letter_pdf(_word()), "letter.pdf", key=key)
    assert other.status_code == 409, other.text


def version_then_correct(cms: CmsClient, person_id: str) -> int:
    """A new version is read again by the pipeline (the new words found, version 2); a
    metadata correction becomes a metadata version and shows at once."""
    old_word, new_word = _word(), _word()
    stored = cms.upload(person_id, letter_pdf(old_word, pages=1), "plan.pdf", {"title": "Plan"})
    cms.wait_until_ended(stored.id)
    response = cms.new_version(stored.id, letter_pdf(new_word, pages=2), "plan-v2.pdf")
    assert response.status_code == 202, response.text
    assert response.json()["id"] == stored.id
    status = cms.wait_until_ended(stored.id)
    assert (status["state"], status["version"]) == ("indexed", 2), status
    assert cms.search(new_word, person_id) == [stored.id]
    assert cms.search(old_word, person_id) == []
    fixed = cms.correct(
        stored.id, title="Child protection plan", document_date="2026-10-01", reason="typo"
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["changed"] == ["document_date", "title"]
    metadata = cms.get(f"/api/documents/{stored.id}").json()
    assert (metadata["title"], metadata["document_date"]) == ("Child protection plan", "2026-10-01")
    again = cms.correct(stored.id, title="Child protection plan")
    assert again.json()["changed"] == []
    return stored.id


def fetch_with_etags(cms: CmsClient, document_id: int) -> None:
    """Metadata, text and the original carry ETags; sent back, each answers 304."""
    for path in ("", "/text", "/content"):
        first = cms.get(f"/api/documents/{document_id}{path}")
        assert first.status_code == 200, (path, first.text)
        etag = first.headers["etag"]
        again = cms.get(f"/api/documents/{document_id}{path}", etag=etag)
        assert again.status_code == 304 and again.content == b"", path
    content = cms.get(f"/api/documents/{document_id}/content")
    assert content.headers["etag"] == f'"{hashlib.sha256(content.content).hexdigest()}"'
    stale = cms.get(f"/api/documents/{document_id}", etag='W/"0000"')
    assert stale.status_code == 200
