"""Which S3 answers a put is retried on: MinIO's ClientDisconnected (its connection dropped
while it stopped) failed documents as internal_error in CI's minio-stopped fault test."""

from __future__ import annotations

from minio.error import S3Error
from urllib3.response import HTTPResponse

from core.errors import EscrError, TransientBackendError
from storage.s3 import _translate


def _s3_error(code: str, status: int) -> S3Error:
    return S3Error(HTTPResponse(status=status), code, "message", "resource", "id", "host")


def test_a_dropped_connection_is_transient_and_a_refusal_is_not() -> None:
    for code in ("ClientDisconnected", "SlowDown", "RequestTimeout"):
        assert isinstance(_translate(_s3_error(code, 499), "put k"), TransientBackendError), code
    refused = _translate(_s3_error("InvalidArgument", 400), "put k")
    assert isinstance(refused, EscrError) and not isinstance(refused, TransientBackendError)
