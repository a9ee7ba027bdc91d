"""/docs: Swagger UI served from the package, so it works offline and under the app's CSP.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the CSP
(script-src 'self', see api/web/render.py) blocks both, and a council network may have no
internet. The assets are vendored by scripts/swagger-ui.sh into api/web/static/swagger/."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

SWAGGER = "/static/swagger"


def docs_html(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} API</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">
<link rel="icon" type="image/png" href="{SWAGGER}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="/static/docs/swagger-init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, path: str = "/docs") -> None:
    """Serve Swagger UI at `path` (the app is made with docs_url=None and redoc_url=None)."""
    assert app.openapi_url, "the docs page needs the OpenAPI document"
    page = docs_html(app.title, app.openapi_url)

    @app.get(path, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)
