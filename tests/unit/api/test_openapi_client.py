"""A client generated from escr's OpenAPI document with openapi-python-client (a dev
dependency), used as generated, no hand edits, stores a document for a person and fetches
it back from `escr serve`: the document is complete enough for a CMS team's own tooling."""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.cms_harness.documents import letter_pdf
from tests.factories.served import ROOT, clean_env, escr, serving
from tests.factories.teams import make_teams_archive

# The generator's own setting, not an edit of what it makes: it reads binary answers only as
# application/octet-stream, and a rendition is application/pdf.
CONFIG = "content_type_overrides:\n  application/pdf: application/octet-stream\n"
# The paths the CMS contract's client calls: the generator must understand each fully.
CONTRACT_PATHS = ("/api/people/{person_id}/documents", "/api/documents/{document_id}")


def _generate(openapi: bytes, out: Path) -> str:
    spec, config = out / "openapi.json", out / "config.yaml"
    spec.write_bytes(openapi)
    config.write_text(CONFIG)
    tool = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [str(tool), "generate", "--path", str(spec), "--meta", "none", "--config", str(config),
         "--output-path", str(out / "escr_client")],
        capture_output=True, text=True, cwd=out, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _module(name: str) -> Any:
    return importlib.import_module(f"escr_client.{name}")


def test_a_generated_client_uploads_and_fetches_unedited(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    manifest = make_teams_archive(tmp_path / "archive")
    escr(env, "load", str(manifest), "--people", str(manifest.parent / "people.csv"), "--quiet")
    escr(env, "allocate", "MOS1", "team-a")
    escr(env, "user", "add", "jsmith", "--role", "practitioner", "--team", "team-a")
    account = json.loads(
        escr(env, "service", "add", "mosaic", "--scope", "documents:write",
             "--scope", "documents:read").stdout
    )  # fmt: skip
    letter = letter_pdf("quokka")
    with serving(env) as (url, _):
        with urllib.request.urlopen(url + "/openapi.json") as answer:
            report = _generate(answer.read(), tmp_path)
        for path in CONTRACT_PATHS:
            assert path not in report, report
        sys.path.insert(0, str(tmp_path))
        try:
            client_module = _module("client")
            upload = _module("api.cms.upload_document_api_people_person_id_documents_post")
            status = _module("api.cms.upload_status_api_documents_document_id_status_get")
            metadata = _module("api.records.document_api_documents_document_id_get")
            content = _module("api.records.document_content_api_documents_document_id_content_get")
            body_model = _module("models.body_upload_document_api_people_person_id_documents_post")
            types = _module("types")
            with client_module.AuthenticatedClient(
                base_url=url, token=account["api_key"]
            ) as client:

                def send() -> Any:
                    body = body_model.BodyUploadDocumentApiPeoplePersonIdDocumentsPost(
                        file=types.File(payload=io.BytesIO(letter), file_name="letter.pdf"),
                        metadata=json.dumps({"title": "Generated client letter"}),
                    )
                    return upload.sync(
                        person_id="MOS1",
                        client=client,
                        body=body,
                        idempotency_key="gen-1",
                        x_on_behalf_of="jsmith",
                    )

                accepted = send()
                assert accepted.status_url == f"/api/documents/{accepted.id}/status"
                deadline = time.monotonic() + 120
                while (
                    state := status.sync(accepted.id, client=client, x_on_behalf_of="jsmith").state
                ) != "indexed":
                    assert state not in ("quarantined", "failed") and time.monotonic() < deadline
                    time.sleep(0.2)
                assert send().id == accepted.id  # the retry: the same document
                about = metadata.sync(accepted.id, client=client, x_on_behalf_of="jsmith")
                assert about.title == "Generated client letter"
                assert about.pages == 3
                fetched = content.sync_detailed(accepted.id, client=client, x_on_behalf_of="jsmith")
                assert fetched.status_code == 200 and fetched.content == letter
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.split(".")[0] == "escr_client"]:
                del sys.modules[name]
    assert ROOT.is_dir()
