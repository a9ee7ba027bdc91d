"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import documents, migration, retention
from api.web import install_web


def create_app() -> FastAPI:
    app = FastAPI(
        title="escr",
        description="Social care document migration and records service",
        version="0.1.0",
    )
    install_error_handlers(app)
    app.include_router(documents.router, prefix="/api")
    app.include_router(migration.router, prefix="/api")
    app.include_router(retention.router, prefix="/api")

    install_web(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
