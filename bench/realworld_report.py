"""Tabulate a loaded real-world archive (bench/realworld_corpus.py) per file extension.

Reads the embedded catalog under ESCR_HOME directly (read-only) and prints, per extension of
the manifest's files: indexed with text, no_text, unsupported_type, unreadable, quarantined by
reason, failed, and renditions made / failed; then every document that is not indexed with
text, with its origin, so each can be looked at.

    ESCR_HOME=/tmp/realworld/home .venv/bin/python -m bench.realworld_report /tmp/realworld/archive
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

QUERY = """
select d.source_document_id, d.state, coalesce(d.reason, ''), d.mime,
       length(coalesce(t.text, '')), r.sha256 is not null, coalesce(r.reason, ''), r.id is not null,
       d.detail
from documents d
left join document_texts t on t.document_id = d.id
left join renditions r on r.document_id = d.id
where d.parent_id is null and d.source_system = 'REALWORLD'
"""


def outcome(state: str, reason: str, text_len: int) -> str:
    if state == "indexed" and not reason:
        return "text" if text_len else "no_text"
    if state == "indexed":
        return reason
    if state == "quarantined":
        return f"q:{reason}"
    return f"{state}:{reason}" if reason else state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("ESCR_HOME", "var")))
    parser.add_argument("--list", action="store_true", help="list every document without text")
    args = parser.parse_args()
    origins = {}
    with (args.archive / "manifest.csv").open() as f:
        for row in csv.DictReader(f):
            origins[row["source_document_id"]] = row["file_path"]
    prov = {}
    with (args.archive / "origins.csv").open() as f:
        for row in csv.DictReader(f):
            prov[row["file_path"]] = f"{row['package']} {row['version']} {row['path']}"
    db = sqlite3.connect(f"file:{args.home / 'catalog.sqlite'}?mode=ro", uri=True)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    odd = []
    for doc_id, state, reason, mime, text_len, made, r_reason, r_any, detail in db.execute(QUERY):
        path = origins[doc_id]
        ext = Path(path).suffix.lower() or "(none)"
        kind = outcome(state, reason, text_len)
        table[ext][kind] += 1
        table[ext]["rows"] += 1
        if r_any:
            table[ext]["rend_ok" if made else "rend_fail"] += 1
        if kind != "text":
            odd.append((ext, kind, mime, prov.get(path, path), (detail or r_reason)[:90]))
    kinds = sorted(
        {k for c in table.values() for k in c} - {"rows", "text", "rend_ok", "rend_fail"}
    )
    cols = ["rows", "text", *kinds, "rend_ok", "rend_fail"]
    print("| ext | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    total: Counter[str] = Counter()
    for ext in sorted(table, key=lambda e: -table[e]["rows"]):
        total.update(table[ext])
        print(f"| {ext} | " + " | ".join(str(table[ext][c] or "") for c in cols) + " |")
    print("| **all** | " + " | ".join(str(total[c]) for c in cols) + " |")
    if args.list:
        for listed in sorted(odd):
            print("  ".join(listed))


if __name__ == "__main__":
    main()
