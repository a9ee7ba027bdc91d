"""Proof of destruction: a certificate's signature holds and nothing of its items is left."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from catalog import renditions
from catalog.models import Blob, DocumentText
from catalog.models_retention import DestructionCertificate
from core.errors import NotFound
from indexer.base import SearchIndex
from retention import certificates
from retention.destroy import shared
from storage.base import BlobStore


def stored_certificate(session: Session, cert_id: str) -> dict[str, Any]:
    """A certificate as issued, from the catalog's copy."""
    row = session.get(DestructionCertificate, cert_id)
    if row is None:
        raise NotFound(f"certificate {cert_id} not found")
    return {
        "algorithm": certificates.ALGORITHM,
        "key_id": row.key_id,
        "body": json.loads(row.body),
        "signature": row.signature,
    }


def verify_destruction(
    session: Session,
    certificate: dict[str, Any],
    *,
    public_key_pem: bytes,
    store: BlobStore,
    index: SearchIndex,
) -> list[str]:
    """Problems with a certificate: a bad signature, or anything of an item left anywhere."""
    problems: list[str] = []
    if not certificates.verify_signature(certificate, public_key_pem):
        problems.append("the signature does not hold for this public key")
    for item in certificate.get("body", {}).get("items", []):
        doc_id = int(item["document_id"])
        for key in item["blob_keys_deleted"]:
            if store.exists(key):
                problems.append(f"document {doc_id}: blob {key} is still in the store")
        if index.get(doc_id) is not None:
            problems.append(f"document {doc_id}: still in the search index")
        if session.get(DocumentText, doc_id) is not None:
            problems.append(f"document {doc_id}: extracted text is still in the catalog")
        if renditions.renditions_of(session, doc_id):
            problems.append(f"document {doc_id}: its rendition is still in the catalog")
        for sha in item["sha256s"]:
            if session.get(Blob, sha) is not None and not shared(session, sha):
                problems.append(f"document {doc_id}: blob row {sha[:12]} is still catalogued")
    return problems
