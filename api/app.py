"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from api.docs import install_docs
from api.errors import install_error_handlers
from api.intake_dispatch import with_intake
from api.routes import (
    access,
    cms_events,
    documents,
    intake,
    migration,
    people,
    quality,
    retention,
    sar,
)
from api.upload_limit import UploadLimit
from api.web import install_web
from api.webhook_sender import webhook_lifespan


def create_app() -> FastAPI:
    app = FastAPI(
        title="escr",
        description="Social care document migration and records service",
        version="0.1.0",
        # FastAPI's pages load from a CDN the CSP blocks: /docs is served locally instead,
        # and Redoc (another bundle to vendor) is off.
        docs_url=None,
        redoc_url=None,
        # The webhook sender runs while the app does (a thread embedded, Celery scale-out).
        lifespan=with_intake(webhook_lifespan),
    )
    install_error_handlers(app)
    app.add_middleware(UploadLimit)
    app.include_router(documents.router, prefix="/api")
    app.include_router(intake.router, prefix="/api")
    app.include_router(cms_events.router, prefix="/api")
    app.include_router(people.router, prefix="/api")
    app.include_router(migration.router, prefix="/api")
    app.include_router(quality.router, prefix="/api")
    app.include_router(retention.router, prefix="/api")
    app.include_router(access.router, prefix="/api")
    app.include_router(sar.router, prefix="/api")

    install_web(app)
    install_docs(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
