"""A corrected round corrects the data (issue 12, section 3).

A later round may bring the same files with corrected metadata: a mapping that now reads the
right date column, a manifest with a fixed legacy type or person. Before the pipeline sees the
round's rows, each document whose manifest metadata the round changes takes the new values,
records them as a metadata version (the round, the reason, each field before and after), and
goes back to classification, so it is typed, dated, linked and written to the search index
again: catalog first (the state change commits with the correction), index after, so catalog
and index agree, and a load killed in between resumes the document from its state.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog import ledger
from catalog.models import Batch, Document
from core.states import DateSource, RowState

# The pipeline's own rule for what a manifest row sets on its document, so a correction and an
# ingest can never disagree (imported, not copied).
from workers.pipeline import _refresh_manifest_fields as refresh_manifest_fields

# The fields a manifest row sets on its document, compared before and after.
FIELDS = ("title", "legacy_doc_type", "legacy_person_ids", "extra", "document_date", "date_source")
# Documents in these states are (or are about to be) in the index with the old metadata.
_AGAIN = frozenset({RowState.INDEXED, RowState.PENDING_INDEX})


def correct_metadata(session: Session, batch: Batch, now: datetime) -> int:
    """Apply the round's metadata to the documents it changes; how many it changed. Commits
    each page with its corrections."""
    if session.scalar(select(Document.id).limit(1)) is None:
        return 0  # a first load: nothing to correct
    reasons: dict[str, str] = {}
    corrected = 0
    for page in ledger.iter_rows(session, batch.name):
        rows = [r for r in page if r.state == RowState.PENDING]
        known = docs.find_documents(
            session, {(r.source_system, r.source_document_id) for r in rows}
        )
        changed: list[tuple[Document, dict[str, Any], str]] = []
        for row in rows:
            document = known.get((row.source_system, row.source_document_id))
            if document is None or document.parent_id is not None:
                continue
            changes = _apply(session, document, row.payload)
            if changes:
                reason = _reason(session, reasons, document.batch, batch)
                changed.append((document, changes, reason))
                _again(document, batch.name, now)
        _record(session, changed, batch.name, now)
        corrected += len(changed)
        session.commit()
    return corrected


def _apply(session: Session, document: Document, payload: dict[str, Any]) -> dict[str, Any]:
    """The row's metadata on the document; each field that changed, as [before, after]."""
    before = {name: _plain(getattr(document, name)) for name in FIELDS}
    if not payload.get("document_date") and document.date_source == DateSource.MANIFEST:
        # The corrected manifest gives no date: the old one was the mapping's mistake, and
        # classification looks for one in the text again.
        document.document_date, document.date_source = None, DateSource.NONE
    refresh_manifest_fields(document, payload)
    changes = {
        name: [before[name], _plain(getattr(document, name))]
        for name in FIELDS
        if before[name] != _plain(getattr(document, name))
    }
    if "legacy_person_ids" in changes:
        # Links the crosswalk made from the old IDs go; relinking makes the right ones.
        changes["crosswalk_links_removed"] = docs.remove_crosswalk_links(session, document.id)
    return changes


def _again(document: Document, batch: str, now: datetime) -> None:
    """Back to classification (type, date, people, then the index), for this round."""
    if RowState(document.state) in _AGAIN:
        document.state, document.batch = RowState.EXTRACTED, batch
    document.updated_at = now


def _record(
    session: Session, changed: list[tuple[Document, dict[str, Any], str]], batch: str, now: datetime
) -> None:
    latest = docs.latest_metadata_versions(session, [d.id for d, _, _ in changed])
    docs.add_metadata_versions(
        session,
        [
            docs.metadata_version_row(
                document.id,
                latest.get(document.id, 1) + 1,
                batch=batch,
                reason=reason,
                changes=changes,
                now=now,
            )
            for document, changes, reason in changed
        ],
    )


def _reason(session: Session, cache: dict[str, str], previous: str, batch: Batch) -> str:
    """What this round changed against the round that last took the document on."""
    if previous not in cache:
        earlier = session.get(Batch, previous)
        inputs = (
            [
                name
                for name, was, now in (
                    ("mapping", earlier.mapping_sha256, batch.mapping_sha256),
                    ("manifest", earlier.manifest_sha256, batch.manifest_sha256),
                    ("people file", earlier.people_sha256, batch.people_sha256),
                )
                if was != now
            ]
            if earlier is not None
            else []
        )
        changed = f"the {' and '.join(inputs)} changed" if inputs else "its metadata changed"
        cache[previous] = f"round {batch.name} after round {previous}: {changed}"
    return cache[previous]


def _plain(value: Any) -> Any:
    """A field's value as JSON holds it."""
    return value.isoformat() if isinstance(value, date) else value
