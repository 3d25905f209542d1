"""Request bodies of the ingest endpoints: media types, decoding, validation."""

import codecs
import json
from typing import Any, TypeVar

from pydantic import ValidationError

from app.errors import InvalidInput, UnsupportedMediaType
from app.schemas import RevisionCreate
from app.services.content import NewRevision

_RAW_FORMATS = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
ACCEPTED = ("application/json", "text/plain", "text/html", "text/markdown")


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    encoding = charset or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise UnsupportedMediaType(f"charset '{encoding}' is unknown; send UTF-8") from exc
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid {encoding} (byte {exc.start}); send UTF-8 text"
        ) from exc


def _validation_detail(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def load_json(body: bytes, charset: str | None = None) -> Any:
    try:
        return json.loads(_decode(body, charset))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


def to_new_revision(data: RevisionCreate) -> NewRevision:
    fmt = next(k for k in ("text", "html", "markdown") if getattr(data, k) is not None)
    return NewRevision(
        body_format=fmt,
        body=getattr(data, fmt),
        title=data.title,
        url=data.url,
        published_at=data.published_at,
        source_revision_id=data.source_revision_id,
        metadata=data.metadata,
    )


M = TypeVar("M", bound=RevisionCreate)


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidInput('The JSON body must be an object such as {"text": "..."}')
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_validation_detail(exc)) from exc


def parse_revision_body(content_type: str | None, body: bytes) -> NewRevision:
    media, charset = _media_type(content_type)
    if media == "application/json" or media.endswith("+json"):
        return to_new_revision(validate(RevisionCreate, load_json(body, charset)))
    if media in _RAW_FORMATS:
        return NewRevision(body_format=_RAW_FORMATS[media], body=_decode(body, charset))
    raise UnsupportedMediaType(
        f"Content-Type '{media or '(none)'}' is not accepted; use one of {', '.join(ACCEPTED)}"
        " (with curl: -H 'Content-Type: text/plain')"
    )
