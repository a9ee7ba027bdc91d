"""Documents a case management system sends (issue 16): each upload, or new version, becomes a
one-row batch whose ledger row names the uploaded file, so it goes through the same stages
as a migrated document (register, ingest, sandbox, extract or OCR, classify, link, date,
index) by either runner: workers/intake_runner.py in the embedded default, the Celery
`escr.ingest` task in scale-out (docs/decisions/0037-cms-identity.md).

The document's row is made here, at once and empty (state `pending`, no content yet), so the
system gets its ID in the 202 answer; ingest fills it in as it would a manifest's new document.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog import documents as docs
from catalog.ledger import UPLOAD_BATCH_PREFIX
from catalog.models import Batch, Document, LedgerRow
from core.errors import InvalidInput
from core.states import RowState
from domain.vocabulary import is_doc_type

UPLOADS = "uploads"  # under ESCR_HOME, shared by the API and the workers (docker-compose)
BATCH_PREFIX = "cms"
# Extensions a CMS may send: the formats escr reads (README "Formats escr reads"). The content
# is typed again in the sandbox, as a migrated file's is; this only refuses at the door what
# is plainly not a document (an executable, a script, an unknown extension).
ALLOWED_EXTENSIONS = frozenset(
    {
        "pdf", "doc", "docx", "dot", "odt", "ods", "odp", "rtf", "txt", "htm", "html", "eml",
        "msg", "xls", "xlsx", "ppt", "pptx", "csv", "tif", "tiff", "jpg", "jpeg", "png", "gif",
        "bmp", "wpd", "wps", "vsd", "zip", "7z", "mbox", "pst",
    }
)  # fmt: skip
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadMetadata:
    """What a CMS says about a document it stores (the multipart `metadata` part)."""

    title: str = ""
    doc_type: str = ""  # a taxonomy code (taken as given) or the council's legacy type code
    document_date: date | None = None
    source_reference: str = ""  # the CMS's own ID for the document
    author: str = ""
    person_ids: tuple[str, ...] = ()  # further people, beside the one in the path


@dataclass(frozen=True)
class Intake:
    """A registered upload: its document, its ledger row, its batch."""

    document_id: int
    ledger_id: int
    batch: str


def safe_file_name(name: str) -> str:
    """The uploaded file's name as it is kept: its last path part, nothing but safe
    characters, never empty (the extension stays, so a mismatch is seen as for a load)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip("._") or "document"
    return cleaned[-150:]


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_extension(name: str) -> None:
    if extension_of(name) not in ALLOWED_EXTENSIONS:
        raise UnsupportedUpload(
            f"files named {name!r} are not accepted; send one of: "
            + ", ".join(sorted(ALLOWED_EXTENSIONS))
        )


class UnsupportedUpload(InvalidInput):
    """The uploaded file is not of a type escr accepts (415)."""


class UploadTooLarge(InvalidInput):
    """The uploaded file is larger than ESCR_INTAKE__MAX_MB (413)."""


def upload_folder(home: Path, batch: str) -> Path:
    return home / UPLOADS / batch.replace("/", "_")


def new_batch_name(account: str) -> str:
    return f"{UPLOAD_BATCH_PREFIX}{account}/{uuid.uuid4().hex[:16]}"


def _batch(
    session: Session, name: str, folder: Path, described: dict[str, Any], now: datetime
) -> None:
    """The upload's batch: its "manifest" is the JSON of what the system sent, kept beside the
    file (the archive root the ingest stage reads the file from)."""
    manifest = folder / "upload.json"
    manifest.write_text(json.dumps(described, indent=1, sort_keys=True, default=str))
    session.add(
        Batch(
            name=name,
            manifest_path=str(manifest),
            manifest_sha256=hashlib.sha256(manifest.read_bytes()).hexdigest(),
            rows_total=1,
            status="loading",
            started_at=now,
        )
    )
    session.flush()


def _row(
    session: Session, batch: str, document: Document, payload: dict[str, Any], now: datetime
) -> LedgerRow:
    row = LedgerRow(
        batch=batch,
        line_no=1,
        source_system=document.source_system,
        source_document_id=document.source_document_id,
        state=RowState.PENDING,
        detail="",
        change="",
        document_id=document.id,
        payload=payload,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def register_upload(
    session: Session,
    *,
    home: Path,
    account: str,
    on_behalf_of: str,
    person_ids: list[str],
    file_name: str,
    spooled: Path,
    metadata: UploadMetadata,
    now: datetime,
) -> Intake:
    """A new document for these people: its empty row (its ID for the answer), its links
    (given by the system, so the crosswalk is not asked), and a one-row batch for the runner.
    The file at `spooled` is moved under ESCR_HOME/uploads. The caller commits."""
    name = safe_file_name(file_name)
    batch = new_batch_name(account)
    folder = upload_folder(home, batch)
    folder.mkdir(parents=True, exist_ok=False)
    spooled.replace(folder / name)
    cms = {
        "account": account,
        "on_behalf_of": on_behalf_of,
        "person_ids": person_ids,
        "source_reference": metadata.source_reference,
        "author": metadata.author,
    }
    given_type = metadata.doc_type if is_doc_type(metadata.doc_type) else ""
    document = Document(
        source_system=f"{BATCH_PREFIX}:{account}",
        source_document_id=batch.rsplit("/", 1)[-1],
        version=1,
        original_name=name,
        title=metadata.title or name,
        state=RowState.PENDING,
        batch=batch,
        extra={"cms": cms},
        created_at=now,
        updated_at=now,
    )
    if given_type:
        # The practitioner filed it as this type: taken as given, as a person's confirmation.
        document.doc_type, document.type_confidence = given_type, 1.0
        document.type_reason = f"given by the case management system ({account})"
        document.type_confirmed = True
    session.add(document)
    docs.assign_new_ids(session, [document])
    session.flush()
    payload = {
        "file_path": name,
        "title": metadata.title,
        "legacy_doc_type": "" if given_type else metadata.doc_type,
        "legacy_person_ids": [],
        "document_date": metadata.document_date.isoformat() if metadata.document_date else "",
        "sha256": "",
        "extra": {"cms": cms},
    }
    _batch(session, batch, folder, {"document_id": document.id, **payload}, now)
    row = _row(session, batch, document, payload, now)
    docs.add_links(
        session,
        [
            docs.link_row(
                document.id,
                person_id,
                method="cms",
                reason=f"stored for this person by {account} (on behalf of {on_behalf_of})",
                actor=f"svc:{account}" if account else on_behalf_of,
                now=now,
            )
            for person_id in person_ids
        ],
    )
    return Intake(document.id, row.id, batch)


def register_version(
    session: Session,
    *,
    home: Path,
    account: str,
    on_behalf_of: str,
    document: Document,
    file_name: str,
    spooled: Path,
    now: datetime,
) -> Intake:
    """A new content for an existing document (uploaded or migrated): a one-row batch naming
    the document's source, so ingest sees the same document with other bytes (new_version),
    carrying its metadata as it stands so nothing but the content changes."""
    name = safe_file_name(file_name)
    batch = new_batch_name(account or "escr")
    folder = upload_folder(home, batch)
    folder.mkdir(parents=True, exist_ok=False)
    spooled.replace(folder / name)
    payload = {
        "file_path": name,
        "title": document.title,
        "legacy_doc_type": document.legacy_doc_type,
        "legacy_person_ids": [p for p in document.legacy_person_ids.split(";") if p],
        "document_date": document.document_date.isoformat()
        if document.document_date and document.date_source == "manifest"
        else "",
        "sha256": "",
        "extra": document.extra,
    }
    described = {
        "document_id": document.id,
        "new_version_by": account,
        "on_behalf_of": on_behalf_of,
    }
    _batch(session, batch, folder, {**described, **payload}, now)
    row = _row(session, batch, document, payload, now)
    return Intake(document.id, row.id, batch)


def given_links(document: Document) -> list[str]:
    """The people a case management system stored the document for (none for a migrated one)."""
    cms = document.extra.get("cms") if isinstance(document.extra, dict) else None
    people = cms.get("person_ids") if isinstance(cms, dict) else None
    return [str(p) for p in people] if isinstance(people, list) else []
