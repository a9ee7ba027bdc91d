"""A client generated from escr's OpenAPI document (openapi-python-client), used unedited, as
the CMS's person-event and webhook tooling against `escr serve`: it subscribes, merges two
people on behalf of a practitioner, reads and undoes the event; the served process's own
webhook thread delivers every re-linked document, signed, to a receiver that fails first."""

from __future__ import annotations

import importlib
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.cms_harness.events import receiving
from tests.factories.served import ROOT, clean_env, escr, serving
from tests.factories.teams import make_teams_archive
from tests.unit.api.test_openapi_client import _generate

SECRET = "generated-client-webhook-secret-0123456789"
PATHS = (
    "/api/people/merge",
    "/api/people/split",
    "/api/people/identifiers",
    "/api/people/events/{event_id}",
    "/api/people/events/{event_id}/undo",
    "/api/webhooks/subscriptions",
)


def _module(name: str) -> Any:
    return importlib.import_module(f"escr_client.{name}")


def test_a_generated_client_merges_people_and_hears_of_it_unedited(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path / "home", ESCR_WEBHOOKS__BACKOFF_BASE_S="0.3", ESCR_WEBHOOKS__POLL_S="0.3"
    )
    manifest = make_teams_archive(tmp_path / "archive")
    escr(env, "load", str(manifest), "--people", str(manifest.parent / "people.csv"), "--quiet")
    escr(env, "user", "add", "jsmith", "--role", "practitioner", "--team", "team-a")
    account = json.loads(
        escr(env, "service", "add", "mosaic", "--scope", "people:events",
             "--scope", "webhooks:manage").stdout
    )  # fmt: skip
    with serving(env) as (url, _), receiving(SECRET, fail_first=1) as receiver:
        with urllib.request.urlopen(url + "/openapi.json") as answer:
            report = _generate(answer.read(), tmp_path)
        for path in PATHS:
            assert path not in report, report
        sys.path.insert(0, str(tmp_path))
        try:
            client_module = _module("client")
            api = "api.person_events_and_webhooks"
            subscribe = _module(f"{api}.subscribe_api_webhooks_subscriptions_post")
            merge = _module(f"{api}.merge_api_people_merge_post")
            event = _module(f"{api}.event_api_people_events_event_id_get")
            undo = _module(f"{api}.undo_api_people_events_event_id_undo_post")
            models = _module("models")
            with client_module.AuthenticatedClient(
                base_url=url, token=account["api_key"]
            ) as client:
                made = subscribe.sync(
                    client=client,
                    body=models.SubscribeBody(
                        url=receiver.url, secret=SECRET, events=["document.relinked"]
                    ),
                    x_on_behalf_of="jsmith",
                )
                assert made.secret == SECRET
                done = merge.sync(
                    client=client,
                    body=models.MergeBody(
                        from_="MOS2", into="MOS1", reason="Duplicate records merged in Mosaic"
                    ),
                    x_on_behalf_of="jsmith",
                )
                assert (done.from_, done.into, done.reindexed) == ("MOS2", "MOS1", True)
                record = event.sync(done.event_id, client=client, x_on_behalf_of="jsmith")
                assert record.actor == "svc:mosaic" and record.on_behalf_of == "jsmith"
                events = receiver.wait_for(len(done.documents))
                assert {e["data"]["document_id"] for e in events} == set(done.documents)
                assert receiver.refused == [] and receiver.requests[0][2] == 500
                back = undo.sync(
                    done.event_id,
                    client=client,
                    body=models.PersonEventUndo(reason="Mosaic reversed the merge today"),
                    x_on_behalf_of="jsmith",
                )
                assert back.undone is True and set(back.documents) == set(done.documents)
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.split(".")[0] == "escr_client"]:
                del sys.modules[name]
    assert ROOT.is_dir()
