"""Pick the blob store named by the settings; backends are imported only when chosen."""

from __future__ import annotations

from core.settings import Settings
from storage.base import BlobStore


def make_blob_store(settings: Settings) -> BlobStore:
    match settings.storage.backend:
        case "local":
            from storage.local import LocalBlobStore

            return LocalBlobStore(settings.blob_root)
        case "s3":
            from storage.s3 import S3BlobStore

            return S3BlobStore.from_settings(settings)
