"""Transfer to the archive: the approved documents as one BagIt package, checked before the
service's own copies are removed (docs/decisions/0017).

A package is a folder an archive service can ingest and check without escr (BagIt 1.0,
RFC 8493): `data/` holds every version of every document under a name made from its IDs
(never from the legacy file name, which the archive gets in `data/metadata.json`), with
`manifest-sha256.txt` for the payload and `tagmanifest-sha256.txt` for the rest. It is written
under a temporary name, each file's SHA-256 compared with its content address as it is copied,
and renamed into place only when complete: a store that cannot give back a blob's exact bytes
stops the transfer before anything is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Blob, Document, DocumentLink, DocumentVersion
from catalog.models_renditions import Rendition
from catalog.models_retention import DisposalItem
from core.errors import EscrError
from storage.base import BlobStore

_CHUNK = 1 << 20
_SAFE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}")


class TransferFailed(EscrError):
    """The package could not be written whole; nothing was removed."""


@dataclass(frozen=True)
class Package:
    """A written and checked transfer package."""

    path: Path
    tagmanifest_sha256: str  # names every file of the package through the manifests

    def reference(self) -> str:
        """How residual records and certificates name it."""
        return f"{self.path.name} tagmanifest-sha256:{self.tagmanifest_sha256}"


def write_package(
    session: Session,
    store: BlobStore,
    items: list[DisposalItem],
    folder: Path,
    *,
    name: str,
    proposal_id: int,
) -> Package:
    """Write the items' documents, every version, as the BagIt package `folder/name`."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    partial = folder / f".partial-{name}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        tagmanifest = _write(session, store, items, partial, proposal_id)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Package(final, tagmanifest)


def _write(
    session: Session, store: BlobStore, items: list[DisposalItem], root: Path, proposal_id: int
) -> str:
    """The package's files under `root`; returns the SHA-256 of its tag manifest."""
    data = root / "data"
    data.mkdir(parents=True)
    manifest: list[tuple[str, str]] = []  # (sha256, path inside the package)
    described = []
    total = 0
    for item in items:
        document = session.get(Document, item.document_id)
        if document is None:
            raise TransferFailed(f"document {item.document_id} is gone")
        versions = []
        made = _renditions(session, document)
        for version, sha256, key in _versions(session, document):
            extension = _extension(document.original_name)
            relative = f"data/{document.id}/v{version}{extension}"
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            total += _copy_checked(store, key, sha256, target)
            manifest.append((sha256, relative))
            described_version = {"version": version, "sha256": sha256, "path": relative}
            rendition = made.get(version)
            if rendition is not None:
                # The readable PDF goes with its version (a PDF that is its own rendition is
                # named, not copied twice).
                pdf_sha, pdf_key, method, pages = rendition
                pdf_path = relative
                if pdf_sha != sha256:
                    pdf_path = f"data/{document.id}/v{version}.rendition.pdf"
                    total += _copy_checked(store, pdf_key, pdf_sha, root / pdf_path)
                    manifest.append((pdf_sha, pdf_path))
                described_version["rendition"] = {
                    "sha256": pdf_sha,
                    "path": pdf_path,
                    "method": method,
                    "pages": pages,
                }
            versions.append(described_version)
        described.append(_description(session, document, item, versions))
    metadata = json.dumps(
        {"proposal_id": proposal_id, "documents": described}, indent=2, sort_keys=True
    )
    (data / "metadata.json").write_text(metadata + "\n", encoding="utf-8")
    manifest.append((_sha256_of(data / "metadata.json"), "data/metadata.json"))
    total += (data / "metadata.json").stat().st_size
    return _finish(root, manifest, total, proposal_id)


def _versions(session: Session, document: Document) -> list[tuple[int, str, str]]:
    """(version, sha256, blob key) of every content the document has had, oldest first."""
    rows = session.execute(
        select(DocumentVersion.version, DocumentVersion.sha256, Blob.key)
        .join(Blob, Blob.sha256 == DocumentVersion.sha256)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.version)
    ).all()
    found = [(int(version), sha, key) for version, sha, key in rows]
    if not found:
        raise TransferFailed(f"document {document.id} has no stored content")
    return found


def _renditions(session: Session, document: Document) -> dict[int, tuple[str, str, str, int]]:
    """Version -> (sha256, blob key, method, pages) of each rendition made of the document."""
    rows = session.execute(
        select(Rendition.version, Rendition.sha256, Blob.key, Rendition.method, Rendition.pages)
        .join(Blob, Blob.sha256 == Rendition.sha256)
        .where(Rendition.document_id == document.id)
    ).all()
    return {
        int(version): (str(sha), key, method, int(pages))
        for version, sha, key, method, pages in rows
    }


def _extension(original_name: str) -> str:
    """The legacy file's extension where it is a plain one, so the archive can open the file."""
    suffix = os.path.splitext(original_name.replace("\\", "/").rsplit("/", 1)[-1])[1]
    return suffix.lower() if _SAFE_EXTENSION.fullmatch(suffix) else ""


def _copy_checked(store: BlobStore, key: str, sha256: str, target: Path) -> int:
    digest, size = hashlib.sha256(), 0
    with store.open(key) as source, target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha256:
        raise TransferFailed(f"blob {key} does not match its SHA-256: the store gave other bytes")
    return size


def _description(
    session: Session, document: Document, item: DisposalItem, versions: list[dict[str, Any]]
) -> dict[str, Any]:
    people = session.scalars(
        select(DocumentLink.person_id).where(DocumentLink.document_id == document.id)
    )
    return {
        "document_id": document.id,
        "source_system": document.source_system,
        "source_document_id": document.source_document_id,
        "original_name": document.original_name,
        "title": document.title,
        "doc_type": document.doc_type,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "mime": document.mime,
        "person_ids": sorted(people),
        "record_class": item.record_class,
        "rule_version": item.rule_version,
        "versions": versions,
    }


def _finish(root: Path, manifest: list[tuple[str, str]], total: int, proposal_id: int) -> str:
    """The BagIt tag files; returns the SHA-256 of the tag manifest, which covers them all."""
    lines = "".join(f"{sha}  {path}\n" for sha, path in sorted(manifest, key=lambda m: m[1]))
    (root / "manifest-sha256.txt").write_text(lines, encoding="utf-8")
    (root / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    bagged = datetime.now(UTC).date().isoformat()
    (root / "bag-info.txt").write_text(
        f"Source-Organization: escr\nBagging-Date: {bagged}\n"
        f"External-Identifier: disposal proposal {proposal_id}\n"
        f"Payload-Oxum: {total}.{len(manifest)}\n",
        encoding="utf-8",
    )
    tags = ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")
    tagmanifest = "".join(f"{_sha256_of(root / tag)}  {tag}\n" for tag in tags)
    (root / "tagmanifest-sha256.txt").write_text(tagmanifest, encoding="utf-8")
    return _sha256_of(root / "tagmanifest-sha256.txt")


def _sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
