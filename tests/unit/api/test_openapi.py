"""The API's own description: /docs works offline under the CSP, and the OpenAPI document
declares the bearer scheme every /api route needs (so Swagger UI's Authorize works)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# Anyone checking a destruction certificate needs the key that signed it.
PUBLIC = {"GET /api/retention/public-key"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_bearer_scheme_is_declared(openapi: dict[str, Any]) -> None:
    scheme = openapi["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"


def test_every_api_operation_needs_the_bearer(openapi: dict[str, Any]) -> None:
    api = [(p, m, op) for p, m, op in _operations(openapi) if p.startswith("/api/")]
    assert len(api) > 10
    unsecured = [
        f"{m.upper()} {p}"
        for p, m, op in api
        if {"bearer": []} not in op.get("security", []) and f"{m.upper()} {p}" not in PUBLIC
    ]
    assert unsecured == []


def test_no_operation_takes_an_asserted_user_header(openapi: dict[str, Any]) -> None:
    # Identities are authenticated, never asserted (issue 11 item 2): no X-Escr-User anywhere.
    asserted = [
        f"{m.upper()} {p}"
        for p, m, op in _operations(openapi)
        for parameter in op.get("parameters", [])
        if parameter["name"].lower() == "x-escr-user"
    ]
    assert asserted == []


def test_docs_page_loads_only_from_this_server(client: TestClient) -> None:
    answer = client.get("/docs")
    assert answer.status_code == 200
    html = answer.text
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "a third-party host"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
        assert client.get(asset).status_code == 200, asset


def test_the_init_script_reads_the_openapi_address_the_page_gives(client: TestClient) -> None:
    html = client.get("/docs").text
    assert 'data-openapi-url="/openapi.json"' in html
    init = client.get("/static/docs/swagger-init.js").text
    assert "dataset.openapiUrl" in init and "validatorUrl: null" in init


def test_redoc_is_off(client: TestClient) -> None:
    # Redoc would load from a CDN the CSP blocks; it is not served rather than served blank.
    assert client.get("/redoc").status_code == 404
