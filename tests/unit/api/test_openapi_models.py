"""The OpenAPI document describes every /api route's answer and refusals, and every parameter
(issue 11 item 12): a client reading /docs learns what comes back, how it is refused and what
each parameter means, and nothing a route returns is lost to a model that missed a field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas import Answer, UndeclaredField
from core.settings import Settings
from tests.factories.teams import ALLOCATIONS
from tests.unit.access.conftest import ADMIN, World

METHODS = {"get", "put", "post", "delete", "patch"}
PUBLIC = {"GET /api/retention/public-key"}
# The record reads: any caller may try them; what they may not see is not found (404), and no
# role is checked, so no 403.
ANY_CALLER = {
    "GET /api/search",
    "GET /api/documents/{document_id}",
    "GET /api/documents/{document_id}/text",
    "GET /api/documents/{document_id}/content",
    "GET /api/documents/{document_id}/rendition",
    "GET /api/people/{person_id}/documents",
    "GET /api/people",  # the finder: each caller finds only the people they may see
    "GET /api/caseload",  # empty for roles without teams
}
# Reports about an ID that answer an empty list, not a 404, for one nobody knows.
NO_LOOKUP = {"GET /api/audit/people/{person_id}"}
# Answers that are not JSON: the type they are sent as.
NOT_JSON = {
    "GET /api/documents/{document_id}/text": "text/plain",
    "GET /api/documents/{document_id}/content": "application/octet-stream",
    "GET /api/documents/{document_id}/rendition": "application/pdf",
    "GET /api/retention/public-key": "text/plain",
    "GET /api/sar/{sar_id}/releases/{release_id}/bundle.pdf": "application/pdf",
    "GET /api/sar/{sar_id}/releases/{release_id}/bundle.zip": "application/zip",
}


@pytest.fixture
def openapi(settings: Settings) -> dict[str, Any]:
    with TestClient(create_app()) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _api_operations(openapi: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if method in METHODS and path.startswith("/api/"):
                yield f"{method.upper()} {path}", operation


def _resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = openapi["components"]["schemas"][name]
    return schema


def _is_described(openapi: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A named model with declared fields (or a list of them); a bare object says nothing."""
    if schema.get("type") == "array":
        return _is_described(openapi, schema.get("items", {}))
    return "$ref" in schema and bool(_resolve(openapi, schema).get("properties"))


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    codes = [code for code in operation["responses"] if code.startswith("2")]
    assert codes, "no success answer"
    content = operation["responses"][codes[0]].get("content", {})
    assert len(content) == 1, f"answers as {sorted(content)}"
    media, body = next(iter(content.items()))
    return media, body.get("schema", {})


def _error_models(openapi: dict[str, Any], answer: dict[str, Any]) -> set[str]:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    options = schema.get("anyOf", [schema])
    return {o["$ref"].rsplit("/", 1)[-1] for o in options if "$ref" in o}


def test_every_success_answer_has_a_model(openapi: dict[str, Any]) -> None:
    undescribed = []
    for name, operation in _api_operations(openapi):
        media, schema = _success(operation)
        if name in NOT_JSON:
            ok = media == NOT_JSON[name] and schema.get("type") == "string"
        else:
            ok = media == "application/json" and _is_described(openapi, schema)
        if not ok:
            undescribed.append(f"{name}: {media} {schema}")
    assert undescribed == []


def test_every_operation_declares_its_refusals(openapi: dict[str, Any]) -> None:
    missing = []
    for name, operation in _api_operations(openapi):
        answers = operation["responses"]
        wanted = set()
        if name not in PUBLIC:
            wanted.add("401")
            if name not in ANY_CALLER:
                wanted.add("403")  # every other route checks a role, and says so when refused
        if "{" in name and name not in NO_LOOKUP:
            wanted.add("404")  # a route naming a thing by its ID meets one that is not there
        for code in sorted(wanted - set(answers)):
            missing.append(f"{name}: {code}")
        for code in sorted(wanted & set(answers)):
            if not _error_models(openapi, answers[code]):
                missing.append(f"{name}: {code} has no body model")
    assert missing == []


def test_every_validated_operation_declares_both_422_shapes(openapi: dict[str, Any]) -> None:
    # FastAPI refuses a malformed field with {"detail": [...]}, escr's own checks with
    # {"error", "detail"}: a client must expect either.
    wrong = []
    for name, operation in _api_operations(openapi):
        validated = "requestBody" in operation or any(
            p["in"] == "query" or p.get("schema", {}).get("type") != "string"
            for p in operation.get("parameters", [])
        )
        if not validated:
            continue
        answer = operation["responses"].get("422", {})
        if _error_models(openapi, answer) != {"ValidationErrorBody", "ErrorBody"}:
            wrong.append(name)
    assert wrong == []


def test_every_parameter_and_operation_is_described(openapi: dict[str, Any]) -> None:
    undescribed = []
    for name, operation in _api_operations(openapi):
        if not operation.get("description"):
            undescribed.append(f"{name}: no docstring")
        for parameter in operation.get("parameters", []):
            if not parameter.get("description"):
                undescribed.append(f"{name}: {parameter['name']}")
    assert undescribed == []


def test_the_error_models_match_what_the_api_answers(world: World) -> None:
    client = world.client
    unauthenticated = client.get("/api/search")
    malformed = client.get("/api/search", params={"date_from": "0001-01-01"}, headers=ADMIN)
    beyond = client.get("/api/exceptions", params={"offset": 9_990}, headers=ADMIN)
    missing = client.get("/api/retention/proposals/99", headers=ADMIN)
    assert unauthenticated.status_code == 401 and set(unauthenticated.json()) == {"detail"}
    assert malformed.status_code == 422 and isinstance(malformed.json()["detail"], list)
    assert beyond.status_code == 422 and beyond.json()["error"] == "InvalidInput"
    assert missing.status_code == 404 and set(missing.json()) == {"error", "detail"}


def test_every_read_answers_through_its_model(world: World, openapi: dict[str, Any]) -> None:
    # Warnings are errors here: a field a read returns that its model lacks fails the read.
    client = world.client
    batch = client.get("/api/batches", headers=ADMIN).json()[0]["batch"]
    values = {
        "document_id": str(min(world.ids.values())),
        "person_id": ALLOCATIONS[0][0],
        "batch": batch,
        "username": "dev",
    }
    queries = {"/api/retention/forecast": {"as_of": "2060-01-01"}, "/api/people": {"q": "Ann"}}
    read = []
    for name, _operation in _api_operations(openapi):
        method, path = name.split(" ", 1)
        names = re.findall(r"{(\w+)}", path)
        if method != "GET" or name in NOT_JSON or not set(names) <= set(values):
            continue
        url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
        answer = client.get(url, params=queries.get(path, {}), headers=ADMIN)
        assert answer.status_code == 200, (url, answer.text)
        read.append(path)
    assert len(read) >= 13


class _Declared(Answer):
    name: str


def test_an_undeclared_field_still_reaches_the_client_and_warns() -> None:
    app = FastAPI()

    @app.get("/thing", response_model=_Declared)
    def thing() -> dict[str, str]:
        return {"name": "a", "added_later": "b"}

    with TestClient(app) as client, pytest.warns(UndeclaredField, match="added_later"):
        answer = client.get("/thing")
    assert answer.json() == {"name": "a", "added_later": "b"}
