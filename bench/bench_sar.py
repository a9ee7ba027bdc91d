"""Subject access at scale: collation of one person's 1,000 documents (5,000 pages).

    .venv/bin/python -m bench.bench_sar collate --docs 1000 --pages 5 --others 2000

`collate` builds a fresh embedded (SQLite) catalog straight from rows (no pipeline): the
subject's documents of realistic case-record wording (workers/synth/text.compose_pages), with
50 exact copies, 50 near-duplicates (one sentence changed on one page), emails in threads, and
background documents on other people, five of which mention the subject with their date of
birth and some on a namesake born on another day. It then times, in one run:
- the floor: reading the subject's documents, links and texts and doing nothing with them;
- collation (records/sar_collate.collate) cold, and again (a re-collation keeps decisions);
- the near-duplicate stage alone, and the naive alternative (difflib on every pair of pages),
  measured on a sample of pages and scaled by the number of pairs.
The bundle (redaction, burn-in, the release gate) is timed by its own section.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from catalog.db import session_factory
from catalog.models import Blob, Document, DocumentLink, DocumentText, LegacyId, Person
from catalog.schema import migrate
from records import sar, sar_collate, sar_similar
from records.sar_similar import SAME_TEXT
from retention.sar_hold import SarHolds
from workers.synth.text import TYPES, compose_pages

NOW = datetime(2025, 3, 1)
SUBJECT = "S1"
SUBJECT_NHS = "9434765919"
SUBJECT_DOB = date(2009, 4, 5)
_TYPES = [t for t in TYPES if t != "identity"]


def _fields(rng: random.Random, first: str, surname: str) -> dict[str, str]:
    return {
        "first": first,
        "surname": surname,
        "name": f"{first} {surname}",
        "worker": rng.choice(["Sam Lee", "Priya Shah", "Tom Hart", "Ana Ruiz"]),
        "visit": "home",
        "date": "3 March 2020",
        "s": "s",
        "relative": rng.choice(["aunt", "grandmother", "uncle"]),
        "phone": "01632 960000",
        "address": "1 High Street",
        "team": "North",
        "street": "High Street",
        "ref": f"R{rng.randrange(10**6)}",
        "postcode": "AB1 2CD",
        "phrase": "",
    }


def _pages(rng: random.Random, fields: dict[str, str], pages: int, day: date) -> str:
    doc_type = rng.choice(_TYPES)
    paragraphs = compose_pages(doc_type, fields, "", rng, pages=pages, day=day)
    return "\n".join(paragraphs)


def build(db: Path, docs: int, pages: int, others: int, seed: int) -> str:
    """A migrated catalog with the subject's `docs` documents of `pages` pages and `others`
    background documents of two pages."""
    url = f"sqlite:///{db}"
    migrate(url)
    rng = random.Random(seed)
    people = [
        Person(
            person_id=SUBJECT,
            given_name="Jane",
            family_name="Smith",
            date_of_birth=SUBJECT_DOB,
            nhs_number=SUBJECT_NHS,
            updated_at=NOW,
        ),
        Person(
            person_id="S2",
            given_name="Jane",
            family_name="Smith",
            date_of_birth=date(2011, 8, 19),
            updated_at=NOW,
        ),
        *(
            Person(person_id=f"P{i}", given_name="Alex", family_name=f"Other{i}", updated_at=NOW)
            for i in range(max(1, others // 10))
        ),
    ]
    legacy = [("PARIS", "100"), ("CARE", "A77"), ("ICS", "42")]
    rows: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    blobs: dict[str, dict[str, Any]] = {}

    def add(doc_id: int, text: str, person: str | None, source: str, **extra: Any) -> None:
        sha = extra.pop("sha", None) or hashlib.sha256(text.encode()).hexdigest()
        blobs.setdefault(
            sha,
            {"sha256": sha, "key": sha, "size": len(text), "mime": "text/plain", "stored_at": NOW},
        )
        rows.append(
            {
                "id": doc_id,
                "source_system": source,
                "source_document_id": f"D{doc_id}",
                "version": 1,
                "sha256": sha,
                "original_name": f"d{doc_id}.pdf",
                "title": extra.pop("title", f"Document {doc_id}"),
                "mime": extra.pop("mime", "application/pdf"),
                "document_date": NOW.date() - timedelta(days=rng.randrange(4000)),
                "state": "indexed",
                "pages": text.count("\f") + 1,
                "extra": extra.pop("extra", {}),
                "batch": "bench",
                "created_at": NOW,
                "updated_at": NOW,
                "legacy_person_ids": extra.pop("legacy", ""),
            }
        )
        texts.append({"document_id": doc_id, "text": text})
        if person:
            links.append(
                {
                    "document_id": doc_id,
                    "person_id": person,
                    "method": "crosswalk",
                    "reason": "bench",
                    "created_by": "bench",
                    "created_at": NOW,
                }
            )

    subject = _fields(rng, "Jane", "Smith")
    made: list[tuple[int, str]] = []
    threads = 0
    for doc_id in range(1, docs + 1):
        system, legacy_id = legacy[doc_id % 3]
        if doc_id % 20 == 0 and made:  # an exact copy: the same file again
            _source_id, text = rng.choice(made)
            add(
                doc_id,
                text,
                SUBJECT,
                system,
                sha=hashlib.sha256(text.encode()).hexdigest(),
                legacy=legacy_id,
            )
        elif doc_id % 20 == 1 and made:  # a near-duplicate: one sentence changed
            _source_id, text = rng.choice(made)
            add(
                doc_id,
                text.replace(".", ". Also noted on file.", 1),
                SUBJECT,
                system,
                legacy=legacy_id,
            )
        elif doc_id % 10 == 5:  # emails, three to a thread
            thread = threads // 3
            subject_line = f"Contact arrangements {thread}"
            title = subject_line if threads % 3 == 0 else f"RE: {subject_line}"
            text = _pages(rng, subject, 1, NOW.date())
            threads += 1
            add(
                doc_id,
                text,
                SUBJECT,
                system,
                title=title,
                mime="message/rfc822",
                extra={
                    "email_thread": {
                        "message_id": f"<m{doc_id}@bench>",
                        "in_reply_to": f"<t{thread}@bench>",
                    }
                },
                legacy=legacy_id,
            )
        else:
            text = _pages(rng, subject, pages, NOW.date())
            made.append((doc_id, text))
            add(doc_id, text, SUBJECT, system, legacy=legacy_id)
    for n in range(others):
        doc_id = docs + 1 + n
        owner = f"P{n % max(1, others // 10)}"
        fields = _fields(rng, "Alex", owner)
        text = _pages(rng, fields, 2, NOW.date())
        if n < 5:  # mentions the subject with her date of birth: candidates
            text += f"\nAlex's friend Jane Smith (born {SUBJECT_DOB:%d/%m/%Y}) visited."
        elif n < 10:  # the namesake, born on another day: not the subject
            text += "\nJane Smith (born 19/08/2011) visited."
            owner = "S2"
        add(doc_id, text, owner, "PARIS")
    with session_factory(url)() as session:
        session.add_all(people)
        session.flush()  # the people before the crosswalk's rows that name them
        session.add_all(LegacyId(system=s, legacy_id=i, person_id=SUBJECT) for s, i in legacy)
        session.flush()
        session.execute(insert(Blob), list(blobs.values()))
        session.execute(insert(Document), rows)
        session.execute(insert(DocumentText), texts)
        session.execute(insert(DocumentLink), links)
        session.commit()
    return url


def floor(url: str) -> float:
    """Read the subject's links, documents and texts and do nothing with them."""
    with session_factory(url)() as session:
        start = time.perf_counter()
        ids = list(
            session.scalars(
                select(DocumentLink.document_id).where(DocumentLink.person_id == SUBJECT)
            )
        )
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            list(session.scalars(select(Document).where(Document.id.in_(part))))
            list(
                session.execute(select(DocumentText.text).where(DocumentText.document_id.in_(part)))
            )
        return time.perf_counter() - start


def _timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def naive_pairs_seconds(texts: dict[int, str], sample: int) -> tuple[float, int]:
    """difflib on every pair of a sample of pages, scaled to every pair of all the pages."""
    pages = [tuple(p.casefold().split()) for t in texts.values() for p in t.split("\f")]
    chosen = random.Random(0).sample(pages, min(sample, len(pages)))
    start = time.perf_counter()
    for a, b in combinations(chosen, 2):
        SequenceMatcher(None, a, b, autojunk=False).ratio() >= SAME_TEXT  # noqa: B015
    spent = time.perf_counter() - start
    pairs_all = len(pages) * (len(pages) - 1) // 2
    pairs_sample = len(chosen) * (len(chosen) - 1) // 2
    return spent * pairs_all / max(1, pairs_sample), len(pages)


def collate_section(docs: int, pages: int, others: int, seed: int, sample: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "catalog.sqlite"
        built, url = _timed(lambda: build(db, docs, pages, others, seed))
        read = floor(url)
        with session_factory(url)() as session:
            request = sar.open_request(
                session,
                person_id=SUBJECT,
                received=date(2025, 3, 3),
                actor="bench",
                today=date(2025, 3, 3),
                holds=SarHolds(None),
            )
            cold, counts = _timed(
                lambda: sar_collate.collate(
                    session, request.id, actor="bench", holds=SarHolds(None)
                )
            )  # type: ignore[arg-type]
            again, _ = _timed(
                lambda: sar_collate.collate(
                    session, request.id, actor="bench", holds=SarHolds(None)
                )
            )  # type: ignore[arg-type]
            session.commit()
            ids = list(
                session.scalars(
                    select(DocumentLink.document_id).where(DocumentLink.person_id == SUBJECT)
                )
            )
            texts = dict(
                session.execute(
                    select(DocumentText.document_id, DocumentText.text).where(
                        DocumentText.document_id.in_(ids)
                    )
                ).all()
            )
        near, groups = _timed(lambda: sar_similar.near_duplicate_groups(texts))
        naive, page_count = naive_pairs_seconds(texts, sample)
    return {
        "section": "collate",
        "documents": docs,
        "pages": page_count,
        "background_documents": others,
        "build_s": round(built, 2),
        "floor_read_s": round(read, 3),
        "collate_s": round(cold, 2),
        "recollate_s": round(again, 2),
        "collate_over_floor": round(cold / read, 1),
        "near_duplicates_s": round(near, 2),
        "near_duplicate_documents": len(groups),
        "naive_difflib_all_pairs_s_estimated": round(naive, 1),
        "naive_over_lsh": round(naive / near, 1),
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sections = parser.add_subparsers(dest="section", required=True)
    p = sections.add_parser("collate", help="collation of one person's documents")
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--pages", type=int, default=5, help="pages a document (5)")
    p.add_argument("--others", type=int, default=2000, help="background documents (2000)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--sample", type=int, default=300, help="pages for the naive estimate")
    args = parser.parse_args()
    if args.section == "collate":
        print(
            json.dumps(collate_section(args.docs, args.pages, args.others, args.seed, args.sample))
        )


if __name__ == "__main__":
    main()
