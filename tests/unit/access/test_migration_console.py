"""The migration console shows the rows (issue 12, section 3): each bar and count of a batch's
reconciliation links to a paged list of the ledger rows behind it; the per-row CSV of
`escr reconcile --rows` downloads from the web (migration team only, audited); each batch
shows its open exceptions, and the queue filters by batch; reasons read as words; times are
UK local and readable."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from api.web.formats import local_time
from catalog.models import AuditEvent, Batch
from catalog.reconcile import write_row_report
from core.settings import Settings
from core.states import REASON_LABELS, Reason, reason_label
from tests.unit.access.conftest import World, _world
from tests.unit.access.test_web import _login

MISSING = 7  # rows whose file is not in the archive


def _add_missing_rows(manifest: Path) -> None:
    """Rows whose files are missing (one with an ID a spreadsheet would run as a formula)."""
    with manifest.open("a", encoding="utf-8") as handle:
        for n in range(1, MISSING):
            handle.write(f"PARIS,M{n},100,files/missing-{n}.txt,Lost {n},VISIT,2020-01-01,\n")
        handle.write("PARIS,=1+1,100,files/missing-x.txt,Formula,VISIT,2020-01-01,\n")


@pytest.fixture
def console(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> Iterator[World]:
    world_iter = _world(tmp_path, monkeypatch, rsa_key, _add_missing_rows)
    world = next(world_iter)
    world.add_user("mig", "migration_officer", [])
    _login(world.client, "mig")
    yield world
    for _ in world_iter:
        pass


def _batch(world: World) -> str:
    with world.session() as session:
        name = session.scalar(select(Batch.name))
    assert name is not None
    return name


def _links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]


def test_each_bar_links_to_the_rows_behind_it(console: World) -> None:
    batch = _batch(console)
    chart = console.client.get(f"/migration/batches/{batch}")
    assert chart.status_code == 200
    links = _links(chart.text)
    by_reason = f"/migration/batches/{batch}/rows?reason=missing_file"
    by_state = f"/migration/batches/{batch}/rows?state=quarantined"
    assert by_reason in links and by_state in links
    assert "File not found" in chart.text  # the reason's label, not only its code

    rows = console.client.get(by_reason)
    assert rows.status_code == 200
    assert f"rows 1–{MISSING} of {MISSING}" in rows.text
    assert rows.text.count('<td data-label="Reason">File not found</td>') == MISSING
    # The teams manifest has 5 rows after its header (file lines 2-6): ours start on line 7.
    assert re.search(
        r'<td class="num"[^>]*>7</td>\s*<td data-label="Source">PARIS M1</td>', rows.text
    )
    assert "PARIS D1" not in rows.text  # an indexed row is not behind this bar

    indexed = console.client.get(f"/migration/batches/{batch}/rows?state=indexed")
    document_id = console.ids["D1"]
    assert f'href="/documents/{document_id}"' in indexed.text and "PARIS M1" not in indexed.text


def test_the_rows_are_paged_within_the_shared_bounds(console: World) -> None:
    batch = _batch(console)
    base = f"/migration/batches/{batch}/rows"
    first = console.client.get(base, params={"reason": "missing_file", "limit": 3})
    assert f"rows 1–3 of {MISSING}" in first.text
    following = [h for h in _links(first.text) if "offset=3" in h]
    assert following, "a link to the next page"
    second = console.client.get(following[0])
    assert f"rows 4–6 of {MISSING}" in second.text and "PARIS M4" in second.text
    assert console.client.get(base, params={"offset": 10_001}).status_code == 422
    assert console.client.get(base, params={"limit": 201}).status_code == 422
    bogus = console.client.get(base, params={"state": "lost"})
    assert bogus.status_code == 422 and "quarantined" in bogus.text  # names the valid ones
    assert console.client.get("/migration/batches/no-such-batch/rows").status_code == 404


def test_the_row_csv_downloads_as_the_cli_writes_it_and_is_audited(console: World) -> None:
    batch = _batch(console)
    page = console.client.get(f"/migration/batches/{batch}")
    assert f"/migration/batches/{batch}/rows.csv" in _links(page.text)
    answer = console.client.get(f"/migration/batches/{batch}/rows.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    with console.session() as session:
        expected = io.StringIO(newline="")
        write_row_report(session, batch, expected)
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert answer.text == expected.getvalue()
    assert "'=1+1" in answer.text  # escaped as the CLI escapes it
    assert actions[-1] == "download_row_report"

    console.add_user("ig1", "ig_officer", [])
    _login(console.client, "ig1")
    assert console.client.get(f"/migration/batches/{batch}/rows.csv").status_code == 403
    console.add_user("alice", "practitioner", ["team-a"])
    _login(console.client, "alice")
    assert console.client.get(f"/migration/batches/{batch}/rows.csv").status_code == 403
    assert console.client.get(f"/migration/batches/{batch}/rows").status_code == 403
    with console.session() as session:
        refused = session.execute(
            select(AuditEvent.actor, AuditEvent.target_id)
            .where(AuditEvent.action == "access_denied")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(r) for r in refused[-3:]] == [
        ("ig1", "the batch's row report"),
        ("alice", "the batch's row report"),
        ("alice", "the batch's rows"),
    ]


def test_each_batch_shows_its_open_exceptions_and_the_queue_filters_by_batch(
    console: World,
) -> None:
    batch = _batch(console)
    queue_link = f"/migration/exceptions?batch={batch}"
    listing = console.client.get("/migration")
    assert queue_link in _links(listing.text)
    assert re.search(r">1<span class=\"visually-hidden\"> open exceptions of", listing.text)
    assert queue_link in _links(console.client.get(f"/migration/batches/{batch}").text)
    queue = console.client.get(queue_link)
    assert "Letter about the allotment" in queue.text and f"in batch <strong>{batch}" in queue.text
    assert console.client.get("/migration/exceptions?batch=nope").status_code == 404

    # A decision taken in the filtered queue comes back to it.
    csrf = re.search(r'name="csrf" value="([^"]+)"', queue.text)
    action = re.search(r'action="(/migration/exceptions/\d+/not-needed)"', queue.text)
    assert csrf is not None and action is not None
    assert f'name="batch" value="{batch}"' in queue.text
    done = console.client.post(
        action.group(1),
        data={"csrf": csrf.group(1), "note": "a duplicate letter", "batch": batch},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == queue_link


def test_times_are_uk_local_and_readable(console: World) -> None:
    listing = console.client.get("/migration")
    assert re.search(r">\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}</time>", listing.text)
    assert not re.search(r">\d{4}-\d{2}-\d{2}T", listing.text)
    assert local_time(datetime(2026, 12, 7, 14, 5)) == "7 Dec 2026, 14:05"  # GMT
    assert local_time(datetime(2026, 7, 1, 13, 5)) == "1 Jul 2026, 14:05"  # BST


def test_every_reason_code_has_a_label() -> None:
    assert set(REASON_LABELS) == set(Reason)
    assert reason_label("missing_file") == "File not found"
    assert reason_label("") == ""
    assert reason_label("some_new_code") == "Some new code"
