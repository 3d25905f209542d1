"""Request bodies of the ingest endpoints: media types, decoding, validation."""

import codecs
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import InvalidInput, UnsupportedMediaType
from app.schemas import RevisionCreate
from app.services.content import BodyFormat, NewRevision

_RAW_FORMATS: dict[str, BodyFormat] = {
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
        text_encoding = codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        text_encoding = False
    if not text_encoding:  # unknown, or a codec such as rot13 or zlib that is not a charset
        raise UnsupportedMediaType(f"charset '{encoding}' is unknown; send UTF-8")
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid {encoding} (byte {exc.start}); send UTF-8 text"
        ) from exc


def _json_depth_within(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest at most `limit` levels (iteratively: no recursion).

    >>> _json_depth_within({"a": [1, {"b": 2}]}, 3), _json_depth_within([[[]]], 2)
    (True, False)
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def load_json(body: bytes, charset: str | None = None, *, max_depth: int = 32) -> Any:
    """Parse a JSON body; syntax errors and nesting past `max_depth` are 422 problems."""
    too_deep = InvalidInput(
        f"The JSON body nests objects or arrays more than {max_depth} levels deep; "
        "flatten it (MAX_JSON_DEPTH)"
    )
    try:
        value = json.loads(_decode(body, charset))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError:
        raise too_deep from None
    if not _json_depth_within(value, max_depth):
        raise too_deep
    return value


def _validation_detail(exc: ValidationError, model: type[BaseModel]) -> str:
    unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
    parts = []
    if unknown:
        allowed = ", ".join(model.model_fields)
        parts.append(f"unknown field(s) {', '.join(unknown)}; the fields are {allowed}")
    for err in exc.errors():
        if err["type"] == "extra_forbidden":
            continue
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts[:6])


def to_new_revision(data: RevisionCreate) -> NewRevision:
    fmt: BodyFormat
    if data.text is not None:
        fmt, body = "text", data.text
    elif data.html is not None:
        fmt, body = "html", data.html
    else:
        fmt, body = "markdown", data.markdown or ""
    return NewRevision(
        body_format=fmt,
        body=body,
        title=data.title,
        url=data.url,
        published_at=data.published_at,
        source_revision_id=data.source_revision_id,
        metadata=data.metadata,
    )


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidInput('The JSON body must be an object such as {"text": "..."}')
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_validation_detail(exc, model)) from exc


def load_json_body(content_type: str | None, body: bytes, *, max_depth: int) -> Any:
    """A JSON request body (415 unless the Content-Type says JSON)."""
    media, charset = _media_type(content_type)
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"Content-Type '{media or '(none)'}' is not accepted; send application/json"
        )
    return load_json(body, charset, max_depth=max_depth)


def parse_revision_body(
    content_type: str | None, body: bytes, *, max_json_depth: int
) -> NewRevision:
    media, charset = _media_type(content_type)
    if media == "application/json" or media.endswith("+json"):
        data = load_json(body, charset, max_depth=max_json_depth)
        return to_new_revision(validate(RevisionCreate, data))
    if media in _RAW_FORMATS:
        return NewRevision(body_format=_RAW_FORMATS[media], body=_decode(body, charset))
    raise UnsupportedMediaType(
        f"Content-Type '{media or '(none)'}' is not accepted; use one of {', '.join(ACCEPTED)}"
        " (with curl: -H 'Content-Type: text/plain')"
    )
