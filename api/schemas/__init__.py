"""The API's answers as models, by resource: what each /api route returns, and how it refuses.

The routes return the dicts that records/ and retention/ build; FastAPI checks each against
its route's `response_model` and sends what the model dumps. A model that missed a field would
drop it from every answer without a sound, so every model keeps a field it does not declare
(`extra="allow"`, shown as additionalProperties in the OpenAPI document) and warns that it is
undeclared: the client still gets it, and the test suite (warnings are errors there) fails on
any route whose answer holds a field its model lacks.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator


class UndeclaredField(UserWarning):
    """An answer held a field its response model does not declare (it was sent all the same)."""


class Answer(BaseModel):
    """The base of every response model."""

    model_config = ConfigDict(extra="allow")
    # Whether fields beyond the declared ones are expected (Counts), not news.
    open_ended: ClassVar[bool] = False

    @model_validator(mode="after")
    def _all_declared(self) -> Self:
        if self.model_extra and not self.open_ended:
            warnings.warn(
                f"{type(self).__name__} does not declare {sorted(self.model_extra)}: "
                "add them to its model in api/schemas",
                UndeclaredField,
                stacklevel=2,
            )
        return self


class Counts(Answer):
    """Counts by name, where the names depend on what happened (statuses, lock changes)."""

    open_ended = True

    # Typed extras: the OpenAPI document says every other field is an integer.
    __pydantic_extra__: dict[str, int] = Field(init=False)


class ErrorBody(Answer):
    """An escr refusal (api/errors.py): what kind, and why in words."""

    error: str = Field(
        description="the kind of refusal: NotFound, PermissionDenied, InvalidInput, Conflict, "
        "PolicyViolation, TransientBackendError",
        examples=["NotFound"],
    )
    detail: str = Field(description="why, in words", examples=["document 12 not found"])


class NotAuthenticatedBody(Answer):
    """No bearer token, or one that is not valid (sent with `WWW-Authenticate: Bearer`)."""

    detail: str = Field(examples=["a valid bearer token is required"])


class FieldError(Answer):
    """One parameter or body field FastAPI refused before the route ran (FastAPI may add the
    input refused and the bound it broke)."""

    open_ended = True

    loc: list[str | int] = Field(description="where: query, path or body, then the field")
    msg: str
    type: str


class ValidationErrorBody(Answer):
    """FastAPI's refusal of a malformed or out-of-bounds parameter or body field."""

    detail: list[FieldError]


# Every refusal an /api route can answer, with its shape. Routers declare the codes all their
# routes share; a route adds those it alone can answer (`responses=errors(404, 409)`).
_MODELS: dict[int, Any] = {
    400: NotAuthenticatedBody,
    401: NotAuthenticatedBody,
    403: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    413: ErrorBody,
    415: ErrorBody,
    422: ValidationErrorBody | ErrorBody,
    503: ErrorBody,
}
_WHY = {
    400: "a header the route does not take from this caller (X-On-Behalf-Of from a person)",
    401: "no bearer token, or one that is not valid (expired, wrong issuer or audience, unknown)",
    403: "the caller's role may not do this (the refusal is audited)",
    404: "not found; a record outside the caller's access answers the same (audited)",
    409: "the record's state does not allow this now (already decided, released or executed)",
    413: "the file is larger than the upload limit (ESCR_INTAKE__MAX_MB)",
    415: "the file's type is not one escr accepts (the answer lists those it does)",
    422: "a malformed or out-of-bounds parameter or body: FastAPI's list of refused fields "
    "(`{detail: [...]}`), or escr's own check (`{error: InvalidInput, detail}`), such as a "
    "page beyond the result window or a date outside 1800-2200",
    503: "a backend (index, store) is briefly unavailable: try again",
}


def errors(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these status codes; `why` overrides a description by code
    (`errors(404, e404="no such proposal")`)."""
    return {
        code: {"model": _MODELS[code], "description": why.get(f"e{code}", _WHY[code])}
        for code in codes
    }


def text_route_errors(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """errors() for a route answering text: FastAPI would file a `model` under the route's own
    media type, but a refusal is JSON all the same."""

    def json(model: Any) -> dict[str, Any]:
        options = [{"$ref": f"#/components/schemas/{m.__name__}"} for m in get_args(model)]
        schema = (
            {"anyOf": options} if options else {"$ref": f"#/components/schemas/{model.__name__}"}
        )
        return {"application/json": {"schema": schema}}

    return {
        code: {"description": answer["description"], "content": json(answer["model"])}
        for code, answer in errors(*codes, **why).items()
    }
