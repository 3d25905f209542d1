"""The OpenAPI document: request bodies the routes read themselves, and problem responses.

FastAPI describes a response model under application/json; every error here is
sent as application/problem+json, so `openapi_schema` moves the Problem schema
there (generated clients then parse errors) and references the request-body
models from components instead of inlining them.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.schemas import (
    REVISION_VARIANTS,
    DiffCreate,
    ImportLine,
    Problem,
    PublishPayload,
    SubscriptionCreate,
    SubscriptionUpdate,
)

PROBLEM = "application/problem+json"
_BODY_MODELS: tuple[type[BaseModel], ...] = (
    *REVISION_VARIANTS,
    PublishPayload,
    DiffCreate,
    ImportLine,
    SubscriptionCreate,
    SubscriptionUpdate,
    Problem,
)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# The JSON body is the documented one. The same endpoint also takes the body raw as
# text/plain, text/html or text/markdown (for curl; said in the operation's text):
# three string bodies in one operation cannot be told apart by generated clients.
REVISION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [_ref(m) for m in REVISION_VARIANTS]}}
        },
    }
}
PUBLISH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _ref(PublishPayload)}},
    }
}
DIFF_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(DiffCreate)}}}
}
SUBSCRIPTION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _ref(SubscriptionCreate)}},
    }
}
SUBSCRIPTION_UPDATE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _ref(SubscriptionUpdate)}},
    }
}
# Operations only an admin key may call: no anonymous alternative in their security.
ADMIN_TAGS = {"subscriptions"}
# OpenAPI 3.1 has no schema for the lines of a stream: the lines' schema is
# ImportLine (in components), named in the description.
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "NDJSON: one ImportLine object (see components) per line",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}
_TEXT = {"schema": {"type": "string"}}
# Reads under this prefix are validated by their content (app.api.http.ValidateByContent).
VALIDATED_PREFIX = "/v1/"
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: If-None-Match matched the ETag"}
}
FORMAT_REDIRECT: dict[int | str, dict[str, Any]] = {
    307: {
        "description": "format=unified or format=html: the same diff at …/unified or …/html",
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
}


def text_response(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": what, "content": {media_type: _TEXT}}}


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    _, definitions = models_json_schema(
        [(m, "validation") for m in _BODY_MODELS], ref_template="#/components/schemas/{model}"
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definitions.get("$defs", {}))
    for path, methods in spec["paths"].items():
        if path.startswith(VALIDATED_PREFIX) and "get" in methods:
            # Every successful read there carries an ETag (app.api.http.ValidateByContent).
            methods["get"]["responses"].setdefault("304", {**NOT_MODIFIED[304]})
    for operation in (op for path in spec["paths"].values() for op in path.values()):
        if operation.get("security") and not ADMIN_TAGS & set(operation.get("tags", ())):
            # A key, or none: anonymous calls pass unless AUTH_REQUIRED_FOR_* say otherwise
            # (then they get 401, which every such operation documents).
            operation["security"] = [*operation["security"], {}]
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if PROBLEM in content or status.startswith(("4", "5")):
                content.pop("application/json", None)
                content[PROBLEM] = {"schema": _ref(Problem)}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = spec
    return spec
