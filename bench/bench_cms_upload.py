"""A case management system's uploads, upload to searchable, against `escr load` of the same
documents, in one run (issue 16).

    .venv/bin/python -m bench.bench_cms_upload [--letters 10] [--scans 4] [--burst 20]

Two sets of the same documents: 3-page born-digital letters (fpdf2, a text layer) and 1-page
scans (Pillow, no text: OCRed). First `escr load` (workers.load.load_archive, two sandbox
workers) loads them as a migration would: its seconds per document are the reference. Then the
app in process (its embedded upload runner, two sandbox workers) takes the same files through
POST /api/people/{id}/documents as Mosaic's service account: each upload alone, timed from the
request to its status URL saying `indexed` (p50/p95 per kind), then a burst sent back to back,
timed until the last is indexed (sustained uploads per second). Printed side by side with the
load's documents per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

WORKERS = 2


def _letter(word: str) -> bytes:
    from workers.synth.files import TextDoc, pdf_bytes
    from workers.synth.text import PAGE_BREAK

    paragraphs: list[str] = []
    for page in range(1, 4):
        paragraphs += [
            f"Page {page}. We write about the review meeting held at the family centre.",
            "The social worker met the family and discussed the plan for the coming months.",
            PAGE_BREAK,
        ]
    paragraphs[-1] = f"Reference word: {word}."
    doc = TextDoc("Letter to the family", ["From: Children's Services"], paragraphs,
                  date(2026, 11, 2), "Children's Services")  # fmt: skip
    return pdf_bytes(doc)


def _scan(word: str) -> bytes:
    from workers.synth.files import png_bytes, scan_images

    return png_bytes(scan_images([(["Note of a telephone call", "from school"], word)])[0])


def _documents(letters: int, scans: int) -> list[tuple[str, str, bytes]]:
    """(kind, file name, bytes), each with a word of its own."""
    made = [("letter", f"letter-{i}.pdf", _letter(f"zq{i:04d}letter")) for i in range(letters)]
    made += [("scan", f"scan-{i}.png", _scan(f"SCAN {i:04d}")) for i in range(scans)]
    return made


PEOPLE = "person_id,given_name,family_name,date_of_birth\nP1,Ann,Ash,2010-01-01\n"


def _use_home(home: Path) -> Any:
    from core.settings import get_settings

    os.environ["ESCR_HOME"] = str(home)
    os.environ["ESCR_INTAKE__WORKERS"] = str(WORKERS)
    for name in ("ESCR_DATABASE__URL", "ESCR_STORAGE__BACKEND", "ESCR_INDEX__BACKEND"):
        os.environ.pop(name, None)
    get_settings.cache_clear()
    return get_settings()


def _load(root: Path, documents: list[tuple[str, str, bytes]]) -> dict[str, float]:
    """`escr load` of the documents, one manifest, two workers: seconds (the whole command's
    work: migrate, start the sandbox, register, run, reconcile) and per document."""
    from workers.load import load_archive

    archive = root / "archive"
    (archive / "files").mkdir(parents=True)
    lines = ["source_system,source_document_id,legacy_person_id,file_path,title"]
    for kind, name, content in documents:
        (archive / "files" / name).write_bytes(content)
        lines.append(f"PARIS,{name},P1,files/{name},{kind}")
    (archive / "manifest.csv").write_text("\n".join(lines) + "\n")
    (archive / "people.csv").write_text(PEOPLE)
    settings = _use_home(root / "load-home")
    started = time.perf_counter()
    summary = load_archive(
        settings,
        manifest=archive / "manifest.csv",
        people=archive / "people.csv",
        workers=WORKERS,
        progress=False,
    )
    seconds = time.perf_counter() - started
    assert summary["indexed"] == len(documents), summary
    return {"seconds": seconds, "per_doc_ms": seconds * 1000 / len(documents)}


def _world(root: Path) -> tuple[Any, str]:
    """A catalog with the one person, a practitioner and Mosaic's key (an empty manifest's
    load brings the person, as a migration's people.csv would)."""
    from catalog import access, service_accounts
    from catalog.db import unit_of_work
    from core.clock import utcnow
    from workers.load import load_archive

    settings = _use_home(root / "api-home")
    people = root / "people-only"
    people.mkdir()
    (people / "manifest.csv").write_text("source_system,source_document_id,file_path\n")
    (people / "people.csv").write_text(PEOPLE)
    load_archive(
        settings, manifest=people / "manifest.csv", people=people / "people.csv", progress=False
    )
    with unit_of_work(settings.database_url) as session:
        access.allocate(session, person_id="P1", team="t", source="bench", actor="b", now=utcnow())
        access.upsert_user(
            session, username="pat", roles=["practitioner"], teams=["t"], password=None,
            now=utcnow(),
        )  # fmt: skip
        _, issued = service_accounts.create_account(
            session, name="mosaic", scopes=["documents:write", "documents:read"], actor="b",
            now=utcnow(),
        )  # fmt: skip
    assert issued is not None
    return settings, issued.token


def _upload(http: Any, headers: dict[str, str], name: str, content: bytes) -> int:
    answer = http.post(
        "/api/people/P1/documents",
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        files={"file": (name, content, "application/octet-stream")},
        data={"metadata": json.dumps({"title": name})},
    )
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def _wait(http: Any, headers: dict[str, str], document_id: int) -> None:
    deadline = time.monotonic() + 300
    while True:
        state = http.get(f"/api/documents/{document_id}/status", headers=headers).json()["state"]
        if state == "indexed":
            return
        assert state not in ("quarantined", "failed") and time.monotonic() < deadline, state
        time.sleep(0.01)


def _pct(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _uploads(root: Path, documents: list[tuple[str, str, bytes]], burst: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from api.app import create_app

    _, token = _world(root)
    headers = {"Authorization": f"Bearer {token}", "X-On-Behalf-Of": "pat"}
    latency: dict[str, list[float]] = {"letter": [], "scan": []}
    with TestClient(create_app()) as http:
        # The runner's sandbox children start on the first upload: not a CMS's steady state.
        _wait(http, headers, _upload(http, headers, "warm.pdf", _letter("warm")))
        for kind, name, content in documents:
            started = time.perf_counter()
            _wait(http, headers, _upload(http, headers, name, content))
            latency[kind].append((time.perf_counter() - started) * 1000)
        letters = [d for d in documents if d[0] == "letter"] or documents
        started = time.perf_counter()
        ids = [
            _upload(http, headers, f"burst-{i}.pdf", _letter(f"zq{i:04d}burst"))
            for i in range(burst)
        ]
        accepted = time.perf_counter() - started
        for document_id in ids:
            _wait(http, headers, document_id)
        sustained = burst / (time.perf_counter() - started)
    assert letters
    return {"latency": latency, "sustained": sustained, "accept_ms": accepted * 1000 / burst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10)
    parser.add_argument("--scans", type=int, default=4)
    parser.add_argument("--burst", type=int, default=20)
    args = parser.parse_args()
    documents = _documents(args.letters, args.scans)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # A load a kind, so each kind's time a document is its own, not the scans' average.
        load = {
            kind: _load(root / kind, [d for d in documents if d[0] == kind])
            for kind in ("letter", "scan")
            if any(d[0] == kind for d in documents)
        }
        uploads = _uploads(root, documents, args.burst)
    print(f"{args.letters} letters (3 pages, born digital), {args.scans} scans (1 page), "
          f"{WORKERS} sandbox workers each way")  # fmt: skip
    for kind, spent in uploads["latency"].items():
        if not spent:
            continue
        p50, p95 = _pct(spent)
        loaded = load[kind]["per_doc_ms"]
        print(f"{kind}: upload to searchable p50 {p50:.0f} ms, p95 {p95:.0f} ms (n={len(spent)}); "
              f"escr load {loaded:.0f} ms a document ({load[kind]['seconds']:.1f} s in all); "
              f"p50/load {p50 / loaded:.2f}")  # fmt: skip
    letter_rate = 1000 / load["letter"]["per_doc_ms"] if "letter" in load else float("nan")
    print(f"sustained: {uploads['sustained']:.2f} letters/s uploaded to searchable over a burst "
          f"of {args.burst} (each 202 in {uploads['accept_ms']:.0f} ms); escr load "
          f"{letter_rate:.2f} letters/s; "
          f"ratio {uploads['sustained'] / letter_rate:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
