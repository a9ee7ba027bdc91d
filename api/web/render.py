"""Templates, CSRF checks, HTML error pages and security headers for the web pages."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import NotAuthenticated, WebLogin
from api.errors import error_json, status_for
from core.errors import EscrError, PermissionDenied
from workers.taxonomy import DOC_TYPES

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["DOC_TYPES"] = DOC_TYPES
# Everything a page loads comes from this server: no third-party host, no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'none'"
)


def page(
    request: Request, name: str, login: WebLogin | None, status_code: int = 200, **context: Any
) -> Response:
    """Render a template with what every page needs: the caller and the CSRF token."""
    return templates.TemplateResponse(
        request,
        name,
        {
            "caller": login.caller if login else None,
            "csrf": login.csrf_token if login else "",
            **context,
        },
        status_code=status_code,
    )


def check_csrf(login: WebLogin, token: str) -> None:
    """Every form that changes something carries the session's token (SameSite is not all
    browsers' default, and a stolen GET must never change a record)."""
    if not hmac.compare_digest(login.csrf_token.encode(), token.encode()):
        raise PermissionDenied("the form has expired; reload the page and try again")


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    if not request.url.path.startswith("/api"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def install_web_errors(app: FastAPI) -> None:
    """API paths keep JSON errors; pages get an HTML page, or the login page when signed out."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EscrError)
        if request.url.path.startswith("/api"):
            return error_json(exc)
        if isinstance(exc, NotAuthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return page(
            request,
            "error.html",
            None,
            status_code=status_for(exc),
            title="Not allowed" if isinstance(exc, PermissionDenied) else "Something went wrong",
            message=str(exc),
            status=status_for(exc),
        )

    app.add_exception_handler(EscrError, handle)
