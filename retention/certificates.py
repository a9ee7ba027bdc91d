"""Destruction certificates signed with the service's Ed25519 key, verifiable offline.

The key lives under ESCR_HOME/keys and is made on first use; the public key can be exported and
given to anyone who must check a certificate without access to the service. The signature covers
the certificate body as canonical JSON (sorted keys, no spaces, UTF-8).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
PRIVATE_NAME = "destruction-ed25519.pem"
PUBLIC_NAME = "destruction-ed25519.pub.pem"


def canonical(body: dict[str, Any]) -> bytes:
    """The exact bytes that are signed."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _write_new_key(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes making the key at once keep the first one; 0600: only us.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def private_key(keys_dir: Path) -> Ed25519PrivateKey:
    """The service's signing key, generated on first use."""
    path = keys_dir / PRIVATE_NAME
    if not path.exists():
        _write_new_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    public = keys_dir / PUBLIC_NAME
    if not public.exists():
        public.write_bytes(public_pem(key.public_key()))
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def export_public_key(keys_dir: Path) -> bytes:
    """The public key as PEM, for verifying certificates offline."""
    return public_pem(private_key(keys_dir).public_key())


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(body: dict[str, Any], keys_dir: Path) -> dict[str, Any]:
    """A certificate: the body, its signature and which key made it."""
    key = private_key(keys_dir)
    signature = key.sign(canonical(body))
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(key.public_key()),
        "body": body,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def verify_signature(certificate: dict[str, Any], public_key_pem: bytes) -> bool:
    """Whether the certificate's signature holds for this public key (needs nothing else)."""
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey) or certificate.get("algorithm") != ALGORITHM:
        return False
    try:
        signature = base64.b64decode(certificate["signature"], validate=True)
        key.verify(signature, canonical(certificate["body"]))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def read_certificate(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_certificate(certificate: dict[str, Any], folder: Path) -> Path:
    """Keep a copy of the certificate as a file (the catalog keeps one too)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{certificate['body']['certificate_id']}.json"
    path.write_text(json.dumps(certificate, indent=2, sort_keys=True), encoding="utf-8")
    return path
