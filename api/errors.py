"""The one place our errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.auth import NotAuthenticated
from core.errors import (
    Conflict,
    EscrError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PolicyViolation,
    TransientBackendError,
)
from workers.intake import UnsupportedUpload, UploadTooLarge

_STATUS: tuple[tuple[type[EscrError], int], ...] = (
    (NotAuthenticated, 401),
    (UploadTooLarge, 413),
    (UnsupportedUpload, 415),
    (NotFound, 404),
    (PermissionDenied, 403),
    (PolicyViolation, 409),
    (Conflict, 409),
    (InvalidInput, 422),
    (TransientBackendError, 503),
)


def status_for(error: EscrError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_json(exc: EscrError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    return JSONResponse(
        status_code=status_for(exc),
        content={"error": type(exc).__name__, "detail": str(exc)},
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors; api/web replaces this for its pages with HTML ones (and login redirects)."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, EscrError)
        return error_json(exc)

    app.add_exception_handler(EscrError, handle)
