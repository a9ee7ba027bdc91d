"""Fixity: re-read every stored blob and check it still has the SHA-256 it was stored under."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Blob
from core.errors import NotFound
from storage.base import BlobStore


@dataclass
class FixityReport:
    checked: int = 0
    ok: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing and not self.mismatched


def verify_blobs(
    session: Session, store: BlobStore, on_progress: Callable[[int], None] | None = None
) -> FixityReport:
    report = FixityReport()
    for blob in session.scalars(select(Blob).order_by(Blob.sha256)).yield_per(1000):
        report.checked += 1
        digest = hashlib.sha256()
        try:
            with store.open(blob.key) as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except NotFound:
            report.missing.append(blob.sha256)
            continue
        if digest.hexdigest() == blob.sha256:
            report.ok += 1
        else:
            report.mismatched.append(blob.sha256)
        if on_progress is not None:
            on_progress(report.checked)
    return report
