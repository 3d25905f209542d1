"""JSON payloads, whether one request body or one line of an NDJSON import: parsed
within a nesting limit and validated against the schemas, with problems that say
what to fix."""

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app import schemas
from app.errors import InvalidInput
from app.schemas import RevisionCreate
from app.services.content import BodyFormat, NewRevision

M = TypeVar("M", bound=BaseModel)


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


def _not_json(constant: str) -> Any:
    """Python's json reads NaN and Infinity; JSON (RFC 8259) has no such numbers, and
    PostgreSQL would refuse them where SQLite stored them."""
    raise InvalidInput(f"{constant} is not a JSON number; send a number, a string or null")


def _finite(number: str) -> float:
    """A JSON number with a fraction or exponent, as a float; one past the float range
    (1e400) would be infinity, stored as null: refused instead of silently lost."""
    value = float(number)
    if not math.isfinite(value):
        shown = number if len(number) <= 40 else number[:37] + "..."
        raise InvalidInput(
            f"The number {shown} is past the range of a JSON number here (±1.8e308); "
            "send it as a string"
        )
    return value


def load_json(text: str, *, max_depth: int = 32, what: str = "The body") -> Any:
    """Parse JSON text; syntax errors and nesting past `max_depth` are InvalidInput."""
    too_deep = InvalidInput(
        f"The JSON nests objects or arrays more than {max_depth} levels deep; "
        "flatten it (MAX_JSON_DEPTH)"
    )
    try:
        value = json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError:
        raise too_deep from None
    if not _json_depth_within(value, max_depth):
        raise too_deep
    return value


# What pydantic puts in an error's path for the branch of a union field: the wire
# models' names, the plain types' ("str"), and generic or validated ones ("list[str]").
_BRANCHES = frozenset(
    name
    for name, value in vars(schemas).items()
    if isinstance(value, type) and issubclass(value, BaseModel)
) | {"str", "int", "float", "bool"}


def _is_branch(part: object) -> bool:
    return isinstance(part, str) and (part in _BRANCHES or "[" in part)


def _errors(exc: ValidationError) -> list[tuple[tuple[str, ...], str, str]]:
    """(path, type, message) of each error. A field typed `Model | None` is a union, and
    pydantic reports each branch: the model's, its name in the path, and the null's
    ("Input should be None", where null is refused by the field itself or allowed and
    so not the problem). Only the model's is kept, under the field's own path."""
    out = []
    for err in exc.errors():
        if err["type"] == "none_required":
            continue
        path = tuple(str(p) for p in err["loc"] if not _is_branch(p))
        out.append((path, err["type"], err["msg"]))
    return out


def _validation_detail(exc: ValidationError, model: type[BaseModel]) -> str:
    errors = _errors(exc)
    unknown = [path[0] for path, kind, _ in errors if kind == "extra_forbidden" and len(path) == 1]
    parts = []
    if unknown:
        allowed = ", ".join(model.model_fields)
        parts.append(f"unknown field(s) {', '.join(unknown)}; the fields are {allowed}")
    for path, kind, message in errors:
        if kind == "extra_forbidden" and len(path) == 1:
            continue
        parts.append(f"{'.'.join(path) or 'body'}: {message}")
    return "; ".join(parts[:6])


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidInput('The JSON must be an object such as {"text": "..."}')
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_validation_detail(exc, model)) from exc


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
