"""Opaque cursors: base64url JSON of the last item's sort key."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from app.errors import InvalidInput

MAX_LIMIT = 500


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidInput("cursor: not a cursor this API issued; pass next_cursor unchanged")
    return values


def decode_time_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    at, ident = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(at), int(ident)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "cursor: not a cursor this API issued; pass next_cursor unchanged"
        ) from exc
