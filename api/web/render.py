"""Templates, CSRF checks, HTML error pages and security headers for the web pages."""

from __future__ import annotations

import hmac
import inspect
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import NotAuthenticated, WebLogin
from api.errors import error_json, status_for
from api.params import MAX_QUERY_STRING
from api.web.formats import FILTERS
from api.web.nav import links_for
from core.errors import EscrError, PermissionDenied
from domain.vocabulary import DOC_TYPES

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["DOC_TYPES"] = DOC_TYPES
templates.env.filters.update(FILTERS)
templates.env.globals["nav_links"] = links_for
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


class Flashes:
    """One-time messages for a session's next page ("Document 12 linked to P1."), kept on the
    server: a message in the URL (`?done=...`) would let any link show any text on our page.

    Kept in this process, keyed by the session's CSRF token (a per-session secret): escr serves
    from one process; a message lost to a restart only means no banner, never a forged one."""

    MAX_SESSIONS = 10_000  # oldest dropped first: a banner is not worth unbounded memory

    def __init__(self) -> None:
        self._messages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, login: WebLogin, message: str) -> None:
        with self._lock:
            self._messages[login.csrf_token] = message
            self._messages.move_to_end(login.csrf_token)
            while len(self._messages) > self.MAX_SESSIONS:
                self._messages.popitem(last=False)

    def take(self, login: WebLogin) -> str:
        with self._lock:
            return self._messages.pop(login.csrf_token, "")


flashes = Flashes()


async def refuse_long_queries(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """A query string longer than MAX_QUERY_STRING is a 414 before any route parses it."""
    if len(request.scope.get("query_string", b"")) <= MAX_QUERY_STRING:
        return await call_next(request)
    message = f"the query string is longer than {MAX_QUERY_STRING} bytes"
    if request.url.path.startswith("/api"):
        return JSONResponse(status_code=414, content={"error": "URITooLong", "detail": message})
    return page(
        request, "error.html", None, status_code=414, title="Address too long", message=message
    )


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


# A person reading an error page first wants to know which kind of trouble it is.
_ERROR_TITLES = {
    403: "Not allowed",
    404: "Not found",
    409: "Cannot do that now",
    422: "Please check the request",
    503: "Service busy, try again shortly",
}


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
            title=_ERROR_TITLES.get(status_for(exc), "Something went wrong"),
            message=str(exc),
            status=status_for(exc),
        )

    app.add_exception_handler(EscrError, handle)
    api_invalid = app.exception_handlers.get(
        RequestValidationError, request_validation_exception_handler
    )

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/api"):
            answer = api_invalid(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return page(
            request,
            "error.html",
            None,
            status_code=422,
            title="Please check the address",
            message=_reasons(exc),
            status=422,
        )

    app.add_exception_handler(RequestValidationError, invalid)


def _reasons(exc: RequestValidationError) -> str:
    """Each refused parameter and why, for a person: "page: Input should be ... 500"."""
    return "; ".join(
        f"{error['loc'][-1]}: {error['msg']}" if error.get("loc") else str(error["msg"])
        for error in exc.errors()
    )
