"""The server-rendered web app: plain HTML from Jinja2 templates, one stylesheet, no framework.

Pages authenticate by the session cookie and read only through records/ (access-checked and
audited), like the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import (
    consoles,
    deeplinks,
    holds,
    ig,
    pages,
    people,
    quality,
    retention,
    sar,
    sar_review,
)
from api.web.render import install_web_errors, refuse_long_queries, security_headers

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    """Mount the pages, their static files, HTML error pages, security headers and the bound on
    query strings (which covers /api too)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(people.router)
    app.include_router(pages.router)
    app.include_router(deeplinks.router)
    app.include_router(consoles.router)
    app.include_router(quality.router)
    app.include_router(ig.router)
    app.include_router(retention.router)
    app.include_router(holds.router)
    app.include_router(sar.router)
    app.include_router(sar_review.router)
    install_web_errors(app)
    app.middleware("http")(refuse_long_queries)
    app.middleware("http")(security_headers)
