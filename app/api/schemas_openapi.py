"""OpenAPI request-body descriptions for endpoints that read the raw body."""

from typing import Any

from app.schemas import PublishPayload, RevisionCreate


def _schema(model: type[RevisionCreate]) -> dict[str, Any]:
    return model.model_json_schema(ref_template="#/components/schemas/{model}")


REVISION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _schema(RevisionCreate)},
            "text/plain": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
            "text/markdown": {"schema": {"type": "string"}},
        },
    }
}
PUBLISH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _schema(PublishPayload)}},
    }
}
